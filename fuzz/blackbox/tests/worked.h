/* worked.h - the worked examples of docs/PLUGIN.md: a small buddy allocator
 * ("wb") behind an adapter, with one switchable defect of each class the
 * black-box tier must find on a real allocator. */
#ifndef KH_WORKED_H
#define KH_WORKED_H

#include "kh_adapter.h"

enum wb_defect {
    WB_NONE,
    WB_DOUBLE_FREE_PARENT,  /* the double-free guard misses a block merged into its parent */
    WB_UB_INVALID_FREE,     /* an interior free reads a block header that is not one (UB) */
    WB_NO_COALESCE,         /* freed buddies are never merged */
    WB_SIZED_FREE,          /* free_sized rounds an exact power of two one order up */
    WB_NO_ALIGN,            /* cache create accepts an alignment it cannot give */
    WB_RESIZE_STRADDLE,     /* shrinking the arena keeps a free block that straddles the new end */
};

/* The adapter for one defect (its declarations are those the fixed
 * allocator makes, except that WB_NO_ALIGN omits KH_CAP_NO_ALIGN); also
 * selects the defect. */
struct kh_adapter wb_adapter(enum wb_defect d);

#endif
