/* oracle_boot_test.c - the boot model's interval arithmetic: merging on
 * reserve, covered/remove with splits, top-down placement, touched pages. */
#include "check.h"
#include "oracle_boot.h"

static void test_add_merges(void)
{
    struct boot_model m;
    boot_model_init(&m);
    boot_model_start(&m, 0x1000, 0x100000);
    CHECK_EQ_U(boot_model_add(&m, 0x5000, 0x6000), 0);
    CHECK_EQ_U(boot_model_add(&m, 0x8000, 0x9000), 0);
    CHECK_EQ_U(boot_model_add(&m, 0x2000, 0x3000), 0);
    CHECK_EQ_U(m.n, 3);
    CHECK(m.v[0].base == 0x2000 && m.v[1].base == 0x5000 && m.v[2].base == 0x8000);
    CHECK_EQ_U(boot_model_add(&m, 0x6000, 0x8000), 0);   /* touches both: one range */
    CHECK_EQ_U(m.n, 2);
    CHECK(m.v[1].base == 0x5000 && m.v[1].end == 0x9000);
    CHECK_EQ_U(boot_model_add(&m, 0x2800, 0x5800), 0);   /* overlaps both */
    CHECK_EQ_U(m.n, 1);
    CHECK(m.v[0].base == 0x2000 && m.v[0].end == 0x9000);
    CHECK_EQ_U(boot_model_total(&m), 0x7000);
    boot_model_free(&m);
}

static void test_remove_splits(void)
{
    struct boot_model m;
    boot_model_init(&m);
    boot_model_start(&m, 0x1000, 0x100000);
    boot_model_add(&m, 0x2000, 0x9000);
    CHECK(boot_model_covered(&m, 0x3000, 0x4000));
    CHECK(!boot_model_covered(&m, 0x8000, 0xa000));
    CHECK_EQ_U(boot_model_remove(&m, 0x3000, 0x4000), 0);
    CHECK_EQ_U(m.n, 2);
    CHECK(m.v[0].end == 0x3000 && m.v[1].base == 0x4000);
    CHECK(!boot_model_covered(&m, 0x2800, 0x4800));   /* across the hole */
    CHECK_EQ_U(boot_model_remove(&m, 0x2000, 0x3000), 0);
    CHECK_EQ_U(boot_model_remove(&m, 0x8000, 0x9000), 0);
    CHECK_EQ_U(m.n, 1);
    CHECK(m.v[0].base == 0x4000 && m.v[0].end == 0x8000);
    CHECK(boot_model_overlaps(&m, 0x7fff, 0x8000) && !boot_model_overlaps(&m, 0x8000, 0x9000));
    boot_model_free(&m);
}

static void test_place_top_down(void)
{
    struct boot_model m;
    uint64_t at = 0;
    boot_model_init(&m);
    boot_model_start(&m, 0x1000, 0x10000);
    CHECK(boot_model_place(&m, 0x1000, 0x1000, &at) && at == 0xf000);
    boot_model_add(&m, 0xe000, 0x10000);
    CHECK(boot_model_place(&m, 0x100, 0x40, &at) && at == 0xdf00);
    CHECK(boot_model_place(&m, 0x1000, 0x4000, &at) && at == 0xc000);
    boot_model_add(&m, 0x1000, 0xd000);                /* one page-sized gap left */
    CHECK(boot_model_place(&m, 0x1000, 0x1000, &at) && at == 0xd000);
    CHECK(!boot_model_place(&m, 0x1001, 1, &at));
    CHECK(!boot_model_place(&m, 0x800, 0x2000, &at));  /* no aligned spot */
    boot_model_free(&m);
}

static void test_pages(void)
{
    struct boot_model m;
    boot_model_init(&m);
    boot_model_start(&m, 0x1000, 0x100000);
    boot_model_add(&m, 0x1800, 0x1900);   /* page 1 */
    boot_model_add(&m, 0x1a00, 0x2100);   /* pages 1 and 2: page 1 counted once */
    boot_model_add(&m, 0x5000, 0x7000);   /* pages 5 and 6 */
    CHECK_EQ_U(boot_model_pages(&m, 12), 4);
    CHECK(boot_model_touches_page(&m, 2, 12) && !boot_model_touches_page(&m, 3, 12));
    CHECK(!boot_model_touches_page(&m, 7, 12));
    boot_model_free(&m);
}

int main(void)
{
    test_add_merges();
    test_remove_splits();
    test_place_top_down();
    test_pages();
    return check_summary();
}
