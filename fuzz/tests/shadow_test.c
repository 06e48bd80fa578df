/* shadow_test.c - tests of the shadow model (fuzz/shadow.h): the interval
 * index that finds overlapping live blocks, and the per-block pattern that
 * catches corruption, shifted copies and foreign contents.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "shadow.h"

static struct shadow_block block(void *p, size_t size, uint32_t id)
{
    struct shadow_block b = { (uintptr_t)p, size, id, SHADOW_KMALLOC, false };
    return b;
}

/* Filling from any offset gives the same bytes as shadow_pattern_byte, and
 * leaves the bytes before the offset alone (krealloc grows fill the tail). */
static void test_fill_matches_bytes(void)
{
    static const size_t sizes[] = { 0, 1, 7, 8, 9, 63, 64, 100, 4096 + 3 };
    static const size_t froms[] = { 0, 1, 5, 8, 13, 64 };
    uint8_t *buf = malloc(4200);
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        for (size_t f = 0; f < sizeof(froms) / sizeof(froms[0]); f++) {
            size_t from = froms[f] < sizes[s] ? froms[f] : sizes[s];
            memset(buf, 0xee, 4200);
            struct shadow_block b = block(buf, sizes[s], 77);
            shadow_fill(&b, from);
            CHECK(b.patterned);
            size_t bad = 0;
            for (size_t i = 0; i < from; i++)
                bad += buf[i] != 0xee;
            for (size_t i = from; i < sizes[s]; i++)
                bad += buf[i] != shadow_pattern_byte(77, i);
            for (size_t i = sizes[s]; i < 4200; i++)
                bad += buf[i] != 0xee;
            if (!check_record(bad == 0))
                fprintf(stderr, "%s:%d: size %zu from %zu: %zu bytes wrong\n", __FILE__, __LINE__,
                        sizes[s], from, bad);
        }
    }
    free(buf);
}

/* Verify names the first damaged byte, wherever it is. */
static void test_verify_finds_first_bad_byte(void)
{
    uint8_t *buf = malloc(1000);
    struct shadow_block b = block(buf, 1000, 5);
    shadow_fill(&b, 0);
    size_t off = 1234;
    CHECK(shadow_verify(&b, SIZE_MAX, &off));
    static const size_t hits[] = { 0, 7, 8, 500, 993, 999 };
    for (size_t h = 0; h < sizeof(hits) / sizeof(hits[0]); h++) {
        buf[hits[h]] ^= 0x01;
        CHECK(!shadow_verify(&b, SIZE_MAX, &off));
        CHECK_EQ_U(off, hits[h]);
        /* a limit that stops short of the damage does not see it */
        CHECK(shadow_verify(&b, hits[h], &off));
        buf[hits[h]] ^= 0x01;
    }
    free(buf);
}

/* Another block's contents, or this block's shifted by 1..15 bytes (an
 * allocator handing out an address a little off), never verify. */
static void test_foreign_and_shifted_copies_fail(void)
{
    uint8_t *a = malloc(256), *c = malloc(256 + 16);
    for (uint32_t id = 0; id < 200; id++) {
        struct shadow_block ba = block(a, 256, id);
        shadow_fill(&ba, 0);
        struct shadow_block other = block(a, 256, id + 1);
        other.patterned = true;
        CHECK(!shadow_verify(&other, SIZE_MAX, NULL));
        struct shadow_block bc = block(c, 256 + 16, id);
        shadow_fill(&bc, 0);
        for (size_t shift = 1; shift < 16; shift++) {
            struct shadow_block moved = block(c + shift, 256, id);
            moved.patterned = true;
            if (!check_record(!shadow_verify(&moved, SIZE_MAX, NULL)))
                fprintf(stderr, "%s:%d: id %u: a copy shifted by %zu bytes verifies\n", __FILE__,
                        __LINE__, id, shift);
        }
    }
    free(a);
    free(c);
}

/* No two neighbouring words of a block are equal, so a block filled with
 * one repeated word (a stuck memset) cannot pass. */
static void test_pattern_never_constant(void)
{
    for (uint32_t id = 0; id < 1000; id++) {
        uint64_t prev = 0;
        for (size_t i = 0; i < 4096; i += 8) {
            uint64_t w = 0;
            for (size_t k = 0; k < 8; k++)
                w = w << 8 | shadow_pattern_byte(id, i + k);
            if (i && !check_record(w != prev)) {
                fprintf(stderr, "%s:%d: id %u: words at %zu and %zu are equal\n", __FILE__,
                        __LINE__, id, i - 8, i);
                break;
            }
            prev = w;
        }
    }
}

/* The interval index: overlap with either neighbour is refused and names
 * the block overlapped; touching ranges are fine; removal frees the room. */
static void test_overlap_index(void)
{
    struct shadow s;
    shadow_init(&s);
    uint32_t id;
    CHECK(shadow_insert(&s, 1000, 100, SHADOW_KMALLOC, &id) == NULL);
    CHECK(shadow_insert(&s, 1100, 50, SHADOW_KMALLOC, &id) == NULL);   /* touches */
    CHECK(shadow_insert(&s, 900, 100, SHADOW_KMALLOC, &id) == NULL);   /* touches */
    const struct shadow_block *hit = shadow_insert(&s, 1099, 1, SHADOW_KMALLOC, &id);
    CHECK(hit && hit->start == 1000);
    hit = shadow_insert(&s, 850, 1000, SHADOW_PAGES, &id);   /* covers all three */
    CHECK(hit != NULL);
    hit = shadow_insert(&s, 1149, 0, SHADOW_KMALLOC, &id);   /* zero size counts as one byte */
    CHECK(hit && hit->start == 1100);
    CHECK(shadow_containing(&s, 1120) && shadow_containing(&s, 1120)->start == 1100);
    CHECK(shadow_containing(&s, 1150) == NULL);
    CHECK(shadow_remove(&s, 1000));
    CHECK(!shadow_remove(&s, 1000));
    CHECK(shadow_insert(&s, 1010, 20, SHADOW_KMALLOC, &id) == NULL);
    CHECK(shadow_find(&s, 1010) != NULL);
    CHECK(shadow_find(&s, 1011) == NULL);
    shadow_free(&s);
}

int main(void)
{
    test_fill_matches_bytes();
    test_verify_finds_first_bad_byte();
    test_foreign_and_shifted_copies_fail();
    test_pattern_never_constant();
    test_overlap_index();
    return check_summary();
}
