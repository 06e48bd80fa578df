/* oracle_buddy.c - which free block an allocation splits (see
 * oracle_buddy.h). */
#include "oracle_buddy.h"

#include <stdio.h>
#include <string.h>

#include "introspect.h"
#include "page_alloc.h"

/* The free lists of `before` after an order-`order` allocation split the
 * smallest block that fits; false when none did. */
static bool split(const unsigned long before[], unsigned max, unsigned order, unsigned long after[])
{
    memcpy(after, before, sizeof(after[0]) * KH_MAX_ORDER_LIMIT);
    unsigned j = order;
    while (j < max && !after[j])
        j++;
    if (j == max)
        return false;
    after[j]--;
    for (unsigned i = order; i < j; i++)
        after[i]++;
    return true;
}

bool oracle_buddy_split(struct kh *kh, const struct nullo_state *before, int served, unsigned order,
                        char *why, size_t cap)
{
    unsigned max = kh_max_order(kh);
    for (int z = 0; z < MAX_NR_ZONES; z++) {
        struct kh_zone_info zi;
        if (kh_zone_info(kh, (enum zone_type)z, &zi) != 0 || !zi.present || !before->z[z].present)
            continue;
        unsigned long want[KH_MAX_ORDER_LIMIT];
        if (z == served && !split(before->z[z].nr_free, max, order, want))
            continue;   /* no block fitted before the call: nothing to say */
        if (z != served)
            memcpy(want, before->z[z].nr_free, sizeof(want));
        for (unsigned o = 0; o < max; o++)
            if (zi.nr_free[o] != want[o]) {
                snprintf(why, cap, "after an order-%u allocation from zone %d, zone %d has %lu free "
                         "blocks of order %u; splitting the smallest free block gives %lu",
                         order, served, z, zi.nr_free[o], o, want[o]);
                return false;
            }
    }
    return true;
}
