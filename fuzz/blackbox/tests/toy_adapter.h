/* toy_adapter.h - the breakable toy allocator of the black-box tests. */
#ifndef KH_TOY_ADAPTER_H
#define KH_TOY_ADAPTER_H

#include <stdio.h>

#include "kh_adapter.h"

enum toy_defect {
    TOY_NONE,
    TOY_OVERLAP,              /* the 2nd block starts inside the 1st */
    TOY_REALLOC_LOSES,        /* realloc copies half of the old data */
    TOY_FREE_NULL_CRASH,      /* free(NULL) dereferences the header */
    TOY_MISALIGNED,           /* the 2nd block is 8 bytes off min_align */
    TOY_PAST_ARENA,           /* the 2nd block straddles the arena's end */
    TOY_DOUBLE_FREE_SILENT,   /* a double free is not reported */
    TOY_INVALID_FREE_SILENT,  /* an interior-pointer free is not reported */
    TOY_USABLE_SMALL,         /* usable_size one byte short */
    TOY_NOT_ZEROED,           /* KH_AF_ZERO ignored, memory dirty */
    TOY_OVERSIZE,             /* requests above max_size succeed */
    TOY_UNEXPECTED_NULL,      /* every third allocation fails */
    TOY_LEAK,                 /* free does not give the bytes back */
    TOY_FALSE_REPORT,         /* every legal free raises a misuse report */
    TOY_CORRUPT,              /* free scribbles on the block before */
    TOY_INVALID_STATE,        /* its own validation fails */
};

extern enum toy_defect toy_defect;

#endif
