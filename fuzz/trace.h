/* trace.h - the operation language: one description of every allocator call
 * a test or fuzzer can make, with a readable text form and a compact binary
 * form, and a lossless converter between them.
 *
 * A trace is a list of operations. Result-producing operations bind a
 * variable; later operations refer to it. One descriptor table (KH_TRACE_OPS
 * below) drives parsing, printing and the binary codec, so adding an
 * operation is one line there (plus its meaning in the executor).
 *
 * ==== Text form ====
 * One operation per line; '#' starts a comment; blank lines are fine.
 *     [NAME =] OPERATION ARG...
 * Tokens are separated by blanks; '=' is a token by itself. Names are
 * [A-Za-z_][A-Za-z0-9_]* (at most 63 characters; NULL and ZERO_SIZE_PTR are
 * reserved). Operand syntax by kind:
 *   integer   decimal or 0x hex, up to 2^64 - 1
 *   byte      integer 0..255 (printed as 0xNN)
 *   gfp       GFP names (gfp.h) or integers joined by '|', no blanks; "none" = 0
 *   slab      SLAB_* names or integers joined by '|'; 0 = no flags
 *   name      a bare word: [A-Za-z_][A-Za-z0-9_.-]*, at most 63 characters
 *             (kmem_cache_create's cache name)
 *   pointer   NULL | ZERO_SIZE_PTR | VAR | VAR[I] (array element), each VAR
 *             form optionally followed by +OFFSET or -OFFSET (interior
 *             pointers), e.g. p1+8, objs[3]-16
 *   cache / pool / array   a variable bound by the matching operation;
 *             kmem_cache_destroy and mempool_destroy also accept NULL
 *   ctor      optional trailing literal `ctor` (use the test constructor)
 *   domains   optional trailing page|slab|vmalloc|percpu (default: all)
 * A result may be left unbound ("kmalloc 8 GFP_KERNEL" leaks on purpose).
 * Using an undefined name or a variable of the wrong type is an error;
 * re-binding a name is allowed and later uses see the newest binding.
 * Errors read "FILE:LINE:COL: error: MESSAGE" and parsing stops at the first.
 *
 * Canonical text (what kh_trace_to_text prints and `trace fmt` shows): one
 * operation per line, single spaces, no comments, integers in decimal (bytes
 * as 0xNN), flags symbolic with any unnamed bits as one hex number, no
 * "+0" offsets, optional operands omitted when they have the default value.
 *
 * ==== Binary form (versions 1 and 2) ====
 *   file    := [ "KHT" VERSION ] op* [ 0xFF names ]
 * Decoding accepts every byte string: if the input starts with "KHT" and a
 * known version byte, the rest is that version's payload; otherwise the whole
 * input is a version-1 payload. Versions differ only in their operations:
 * version 1 has those up to fail_off (KH_OP_COUNT_V1), version 2 those up
 * to memblock_free_late (KH_OP_COUNT_V2), version 3 those up to
 * kmem_cache_create_args (KH_OP_COUNT_V3: the 6.12 kvrealloc, vrealloc and
 * kmem_cache_create_args), version 4 all of them (the API's variants); the
 * encoder writes the lowest version that holds the trace's operations.
 * Reading past the end stops decoding and drops
 * the partly read operation. At most KH_TRACE_MAX_OPS operations are decoded.
 *   op      := OPBYTE arg*      (args in descriptor order)
 *   OPBYTE  0xFF ends the operations (the names section follows); otherwise
 *           opcode = (b & 0x7F) % (the version's operation count), and bit 0x80 set means the
 *           result is not bound (ignored for operations without a result).
 *   INT     first byte t:
 *             t < 0x80       value t
 *             0x80..0xBF     2^(t & 63) + d, d the next byte as int8 (mod 2^64)
 *             0xC0..0xFF     (t & 63) | (LEB128 << 6); the LEB128 ends at a
 *                            byte without bit 7 or after 10 bytes
 *   integer INT; bulk count INT % (KH_TRACE_MAX_BULK + 1)
 *   byte    one raw byte
 *   gfp     byte g: g < 0x80 -> common-mask table entry g % 32 (trace.c),
 *           else INT truncated to 32 bits
 *   slab    byte f: f < 0x80 -> OR of bit i -> i-th of HWCACHE_ALIGN,
 *           CACHE_DMA, POISON, RED_ZONE, STORE_USER, CONSISTENCY_CHECKS,
 *           TYPESAFE_BY_RCU; else INT truncated to 32 bits
 *   name    INT n, then 1 + n % 63 bytes; a byte not valid at its position
 *           becomes "a..zA..Z_0..9-."[b % 53] (first byte) or [b % 65]
 *   ctor    byte & 1        domains  byte & 15 (0 means all)
 *   node    byte b: b < 0xC0 -> NUMA_NO_NODE (b even) or node 0 (b odd);
 *           else node b - 0xC0
 *   pointer byte k: kind k & 3 = NULL, ZERO_SIZE_PTR, VAR, ELEM; k & 4 set
 *           -> an offset follows (VAR and ELEM only); other bits ignored.
 *           VAR:  INT i -> the (i mod #pointer bindings so far)-th pointer
 *           ELEM: INT a, INT e -> element e mod count of the (a mod #)-th
 *                 non-empty array binding so far
 *           offset: INT, zigzag-coded signed 64-bit
 *           A VAR/ELEM with no candidate binding decodes as NULL.
 *   cache, pool, array: INT i -> the (i mod #)-th binding of that type so far;
 *           with none the operation is dropped. cache-or-NULL, pool-or-NULL:
 *           INT 0 = NULL, else the ((i - 1) mod #)-th, NULL when there is none.
 *   names   for each binding in order: INT length, then the name's bytes.
 *           Used only if every binding has a valid, unreserved name and every
 *           reference resolves to the binding it names in text; otherwise
 *           names are generated (p<k>, c<k>, m<k>, a<k> for binding k).
 * Opcodes are positions in KH_TRACE_OPS: add operations at the end only;
 * reordering or changing an operation's arguments needs a new version.
 * The encoder always writes the header and the names section and picks the
 * shortest form, so decode(encode(t)) == t and text -> binary -> text is the
 * identity on canonical text.
 */
#ifndef KH_FUZZ_TRACE_H
#define KH_FUZZ_TRACE_H

#include <stddef.h>
#include <stdint.h>

#define KH_TRACE_MAGIC "KHT"
#define KH_TRACE_VERSION 1      /* what the encoder writes unless the trace needs a later one */
#define KH_TRACE_VERSION_MAX 4
#define KH_TRACE_MAX_OPS 4096   /* per input, text or binary */
#define KH_TRACE_MAX_BULK 512   /* kmem_cache_alloc_bulk count */
#define KH_TRACE_MAX_NAME 63    /* characters in a variable or cache name */
#define KH_OP_MAX_ARGS 5
#define KH_TRACE_MAX_NODE 63    /* a node argument's largest number (MAX_NUMNODES is 64 or more) */

/* fault injection domains (fail_* operations) */
#define KH_DOMAIN_PAGE    0x1u
#define KH_DOMAIN_SLAB    0x2u
#define KH_DOMAIN_VMALLOC 0x4u
#define KH_DOMAIN_PERCPU  0x8u
#define KH_DOMAIN_ALL     0xFu

enum kh_arg_kind {
    KH_ARG_NONE,           /* end of the argument list */
    KH_ARG_U64,            /* integer */
    KH_ARG_BULK_N,         /* integer <= KH_TRACE_MAX_BULK */
    KH_ARG_BYTE,           /* integer 0..255 */
    KH_ARG_GFP,
    KH_ARG_SLAB_FLAGS,
    KH_ARG_NAME,           /* bare word, stored in the trace's string pool */
    KH_ARG_CTOR,           /* optional literal `ctor`: u = 0 or 1 */
    KH_ARG_DOMAINS,        /* optional domain mask: u = KH_DOMAIN_* bits */
    KH_ARG_PTR,
    KH_ARG_CACHE,
    KH_ARG_CACHE_OR_NULL,
    KH_ARG_POOL,
    KH_ARG_POOL_OR_NULL,
    KH_ARG_ARRAY,
    KH_ARG_NODE,           /* NUMA node: NUMA_NO_NODE (u = UINT64_MAX) or 0..KH_TRACE_MAX_NODE */
};

/* What a binding holds. */
enum kh_val_type { KH_VAL_NONE, KH_VAL_PTR, KH_VAL_CACHE, KH_VAL_POOL, KH_VAL_ARRAY };

/* The operation table: X(ID, "name", result type, arguments...). The gfp
 * argument is always last; the others follow the kernel's argument order. */
#define KH_TRACE_OPS(X)                                                                        \
    X(KMALLOC, "kmalloc", PTR, A(U64, "size"), A(GFP, "gfp flags"))                            \
    X(KZALLOC, "kzalloc", PTR, A(U64, "size"), A(GFP, "gfp flags"))                            \
    X(KCALLOC, "kcalloc", PTR, A(U64, "count"), A(U64, "size"), A(GFP, "gfp flags"))           \
    X(KMALLOC_ARRAY, "kmalloc_array", PTR, A(U64, "count"), A(U64, "size"), A(GFP, "gfp flags")) \
    X(KREALLOC, "krealloc", PTR, A(PTR, "pointer"), A(U64, "size"), A(GFP, "gfp flags"))       \
    X(KREALLOC_ARRAY, "krealloc_array", PTR, A(PTR, "pointer"), A(U64, "count"),               \
      A(U64, "size"), A(GFP, "gfp flags"))                                                     \
    X(KSIZE, "ksize", NONE, A(PTR, "pointer"))                                                 \
    X(KFREE, "kfree", NONE, A(PTR, "pointer"))                                                 \
    X(KFREE_SENSITIVE, "kfree_sensitive", NONE, A(PTR, "pointer"))                             \
    X(KMALLOC_SIZE_ROUNDUP, "kmalloc_size_roundup", NONE, A(U64, "size"))                      \
    X(KMALLOC_INDEX, "kmalloc_index", NONE, A(U64, "size"))                                    \
    X(GET_ORDER, "get_order", NONE, A(U64, "size"))                                            \
    X(KMEM_CACHE_CREATE, "kmem_cache_create", CACHE, A(NAME, "cache name"), A(U64, "size"),    \
      A(U64, "alignment"), A(SLAB_FLAGS, "slab flags"), A(CTOR, "'ctor'"))                     \
    X(KMEM_CACHE_ALLOC, "kmem_cache_alloc", PTR, A(CACHE, "cache"), A(GFP, "gfp flags"))       \
    X(KMEM_CACHE_ZALLOC, "kmem_cache_zalloc", PTR, A(CACHE, "cache"), A(GFP, "gfp flags"))     \
    X(KMEM_CACHE_FREE, "kmem_cache_free", NONE, A(CACHE, "cache"), A(PTR, "pointer"))          \
    X(KMEM_CACHE_ALLOC_BULK, "kmem_cache_alloc_bulk", ARRAY, A(CACHE, "cache"),                \
      A(BULK_N, "count"), A(GFP, "gfp flags"))                                                 \
    X(KMEM_CACHE_FREE_BULK, "kmem_cache_free_bulk", NONE, A(CACHE, "cache"), A(ARRAY, "array")) \
    X(KMEM_CACHE_SHRINK, "kmem_cache_shrink", NONE, A(CACHE, "cache"))                         \
    X(KMEM_CACHE_DESTROY, "kmem_cache_destroy", NONE, A(CACHE_OR_NULL, "cache"))               \
    X(KMEM_CACHE_SIZE, "kmem_cache_size", NONE, A(CACHE, "cache"))                             \
    X(ALLOC_PAGES, "alloc_pages", PTR, A(U64, "order"), A(GFP, "gfp flags"))                   \
    X(FREE_PAGES, "free_pages", NONE, A(PTR, "pointer"), A(U64, "order"))                      \
    X(GET_FREE_PAGES, "__get_free_pages", PTR, A(U64, "order"), A(GFP, "gfp flags"))           \
    X(GET_ZEROED_PAGE, "get_zeroed_page", PTR, A(GFP, "gfp flags"))                            \
    X(ALLOC_PAGES_EXACT, "alloc_pages_exact", PTR, A(U64, "size"), A(GFP, "gfp flags"))        \
    X(FREE_PAGES_EXACT, "free_pages_exact", NONE, A(PTR, "pointer"), A(U64, "size"))           \
    X(MEMPOOL_CREATE_KMALLOC_POOL, "mempool_create_kmalloc_pool", POOL, A(U64, "min_nr"),      \
      A(U64, "size"))                                                                          \
    X(MEMPOOL_CREATE_SLAB_POOL, "mempool_create_slab_pool", POOL, A(U64, "min_nr"),            \
      A(CACHE, "cache"))                                                                       \
    X(MEMPOOL_CREATE_PAGE_POOL, "mempool_create_page_pool", POOL, A(U64, "min_nr"),            \
      A(U64, "order"))                                                                         \
    X(MEMPOOL_ALLOC, "mempool_alloc", PTR, A(POOL, "pool"), A(GFP, "gfp flags"))               \
    X(MEMPOOL_FREE, "mempool_free", NONE, A(PTR, "pointer"), A(POOL, "pool"))                  \
    X(MEMPOOL_RESIZE, "mempool_resize", NONE, A(POOL, "pool"), A(U64, "min_nr"))               \
    X(MEMPOOL_DESTROY, "mempool_destroy", NONE, A(POOL_OR_NULL, "pool"))                       \
    X(VMALLOC, "vmalloc", PTR, A(U64, "size"))                                                 \
    X(VZALLOC, "vzalloc", PTR, A(U64, "size"))                                                 \
    X(VFREE, "vfree", NONE, A(PTR, "pointer"))                                                 \
    X(KVMALLOC, "kvmalloc", PTR, A(U64, "size"), A(GFP, "gfp flags"))                          \
    X(KVZALLOC, "kvzalloc", PTR, A(U64, "size"), A(GFP, "gfp flags"))                          \
    X(KVMALLOC_ARRAY, "kvmalloc_array", PTR, A(U64, "count"), A(U64, "size"),                  \
      A(GFP, "gfp flags"))                                                                     \
    X(KVFREE, "kvfree", NONE, A(PTR, "pointer"))                                               \
    X(KVFREE_SENSITIVE, "kvfree_sensitive", NONE, A(PTR, "pointer"), A(U64, "size"))           \
    X(KVREALLOC, "kvrealloc", PTR, A(PTR, "pointer"), A(U64, "old size"),                      \
      A(U64, "new size"), A(GFP, "gfp flags"))                                                 \
    X(ALLOC_PERCPU, "alloc_percpu", PTR, A(U64, "size"), A(U64, "alignment"))                  \
    X(FREE_PERCPU, "free_percpu", NONE, A(PTR, "pointer"))                                     \
    X(PER_CPU_PTR, "per_cpu_ptr", NONE, A(PTR, "pointer"), A(U64, "cpu"))                      \
    X(MEMBLOCK_ALLOC, "memblock_alloc", PTR, A(U64, "size"), A(U64, "alignment"))              \
    X(WRITE, "write", NONE, A(PTR, "pointer"), A(U64, "offset"), A(U64, "length"),             \
      A(BYTE, "byte value"))                                                                   \
    X(READ, "read", NONE, A(PTR, "pointer"), A(U64, "offset"), A(U64, "length"))               \
    X(SET_CPU, "set_cpu", NONE, A(U64, "cpu"))                                                 \
    X(SHRINK_ALL, "shrink_all", NONE)                                             \
    X(FAIL_NTH, "fail_nth", NONE, A(U64, "count"), A(DOMAINS, "fault domains"))                \
    X(FAIL_FROM, "fail_from", NONE, A(U64, "count"), A(DOMAINS, "fault domains"))              \
    X(FAIL_RANDOM, "fail_random", NONE, A(U64, "percent"), A(U64, "seed"),                     \
      A(DOMAINS, "fault domains"))                                                             \
    X(FAIL_OFF, "fail_off", NONE)                                                              \
    /* version 2: the boot phase */                                                            \
    X(EARLY_BOOT, "early_boot", NONE)                                                          \
    X(MEMBLOCK_RESERVE, "memblock_reserve", NONE, A(U64, "base"), A(U64, "size"))              \
    X(MEMBLOCK_PHYS_ALLOC, "memblock_phys_alloc", PTR, A(U64, "size"), A(U64, "alignment"))    \
    X(MEMBLOCK_FREE, "memblock_free", NONE, A(PTR, "pointer"), A(U64, "size"))                 \
    X(MEMBLOCK_FREE_ALL, "memblock_free_all", NONE)                                            \
    X(MEMBLOCK_FREE_LATE, "memblock_free_late", NONE, A(PTR, "pointer"), A(U64, "size"))  \
    /* version 3: the Linux 6.12 forms (the 6.1 kvrealloc above keeps its */                  \
    /* name; text tells the two apart by their operand count) */                               \
    X(KVREALLOC_612, "kvrealloc", PTR, A(PTR, "pointer"), A(U64, "size"), A(GFP, "gfp flags")) \
    X(VREALLOC, "vrealloc", PTR, A(PTR, "pointer"), A(U64, "size"), A(GFP, "gfp flags")) \
    X(KMEM_CACHE_CREATE_ARGS, "kmem_cache_create_args", CACHE, A(NAME, "cache name"),        \
      A(U64, "size"), A(U64, "alignment"), A(SLAB_FLAGS, "slab flags"), A(U64, "freeptr_offset")) \
    /* version 4: the API's variants (node-aware, copying, gfp-taking forms) */                \
    X(KMALLOC_NODE, "kmalloc_node", PTR, A(U64, "size"), A(NODE, "node"), A(GFP, "gfp flags")) \
    X(KZALLOC_NODE, "kzalloc_node", PTR, A(U64, "size"), A(NODE, "node"), A(GFP, "gfp flags")) \
    X(KMEM_CACHE_ALLOC_NODE, "kmem_cache_alloc_node", PTR, A(CACHE, "cache"), A(NODE, "node"), \
      A(GFP, "gfp flags"))                                                                     \
    X(KMEMDUP, "kmemdup", PTR, A(PTR, "source"), A(U64, "length"), A(GFP, "gfp flags"))       \
    X(KVCALLOC, "kvcalloc", PTR, A(U64, "count"), A(U64, "size"), A(GFP, "gfp flags"))         \
    X(VMALLOC_GFP, "__vmalloc", PTR, A(U64, "size"), A(GFP, "gfp flags"))                     \
    X(ALLOC_PERCPU_GFP, "__alloc_percpu_gfp", PTR, A(U64, "size"), A(U64, "alignment"),        \
      A(GFP, "gfp flags"))

enum kh_opcode {
#define KH_TRACE_ENUM_(id, name, res, ...) KH_OP_##id,
    KH_TRACE_OPS(KH_TRACE_ENUM_)
#undef KH_TRACE_ENUM_
    KH_OP_COUNT
};
/* Version 1 has the operations up to fail_off: its opcode bytes map onto
 * those alone, so version-1 files and headerless full-space inputs (the
 * whole_system and misuse corpora) decode as they always did. */
#define KH_OP_COUNT_V1 (KH_OP_FAIL_OFF + 1)
/* Version 2 adds the boot phase; version 3 the Linux 6.12 forms; version 4
 * the API's variants. */
#define KH_OP_COUNT_V2 (KH_OP_MEMBLOCK_FREE_LATE + 1)
#define KH_OP_COUNT_V3 (KH_OP_KMEM_CACHE_CREATE_ARGS + 1)

/* Which kernel release an operation needs: 0 any; else the
 * kh_kernel_traits field that must hold (see exec.c's use). Operations of
 * one release on a profile of the other are input errors (replay) or are
 * skipped (fuzz targets decoding arbitrary bytes). */
enum kh_op_kernel { KH_OPK_ANY, KH_OPK_KVREALLOC_OLD_SIZE, KH_OPK_KVREALLOC_NEW, KH_OPK_VREALLOC,
                   KH_OPK_CACHE_ARGS };
enum kh_op_kernel kh_op_kernel(enum kh_opcode code);

struct kh_arg_desc {
    uint8_t kind;          /* enum kh_arg_kind */
    const char *what;      /* role, for "expected <what>" messages */
};

struct kh_op_desc {
    const char *name;
    uint8_t result;        /* enum kh_val_type */
    uint8_t nargs;         /* counted by the compiler */
    struct kh_arg_desc args[KH_OP_MAX_ARGS];
};

const struct kh_op_desc *kh_op_desc(enum kh_opcode code);
/* Number of arguments, including optional trailing ones. Loops over the
 * arguments call this in their condition, so it is a field read. */
static inline unsigned kh_op_nargs(const struct kh_op_desc *d) { return d->nargs; }
/* KH_OP_COUNT when name is not an operation. */
enum kh_opcode kh_op_lookup(const char *name, size_t len);

enum kh_ptr_kind { KH_PTR_NULL, KH_PTR_ZERO_SIZE, KH_PTR_VAR, KH_PTR_ELEM };

/* One argument. Which fields mean something depends on the argument kind:
 *   integers, flags, ctor, domains: u
 *   name: u = offset of the NUL-terminated string in trace->pool
 *   pointer: ptr_kind, var (binding), elem (ELEM only), offset
 *   cache, pool, array: var (binding index, -1 for NULL) */
struct kh_operand {
    uint64_t u;
    int64_t offset;
    int32_t var;
    uint32_t elem;
    uint8_t ptr_kind;
};

struct kh_op {
    uint8_t code;          /* enum kh_opcode */
    int line;              /* text line, or index + 1 for decoded binary */
    int32_t result_var;    /* binding index, -1 when the result is not bound */
    struct kh_operand args[KH_OP_MAX_ARGS];
};

/* Binding k is the k-th bound result, in operation order. */
struct kh_binding {
    uint32_t name;         /* offset in pool */
    uint8_t type;          /* enum kh_val_type */
    uint32_t count;        /* elements, for arrays */
    uint32_t op;           /* index of the defining operation */
};

struct kh_trace {
    struct kh_op *ops;
    size_t n, cap;
    struct kh_binding *vars;
    size_t nvars, vars_cap;
    char *pool;            /* NUL-terminated strings: names */
    size_t pool_len, pool_cap;
    struct kh_trace_scratch *scratch;   /* the decoder's working space */
};

struct kh_trace_error {
    int line, col;         /* 1-based; col counts bytes */
    char msg[192];         /* "expected size, got 'x'" */
    char text[512];        /* "FILE:LINE:COL: error: " + msg */
};

void kh_trace_init(struct kh_trace *t);
void kh_trace_free(struct kh_trace *t);
/* Empties t but keeps its buffers, for a caller that decodes one input
 * after another (a fuzz target): no allocation once they are big enough. */
void kh_trace_clear(struct kh_trace *t);

const char *kh_trace_var_name(const struct kh_trace *t, int32_t var);
/* Renames binding var (the caller keeps names valid and unambiguous).
 * Returns 0, -1 on OOM or a bad index. */
int kh_trace_rename_var(struct kh_trace *t, int32_t var, const char *name);
const char *kh_trace_str(const struct kh_trace *t, uint64_t off);

/* Parses text; returns 0, or -1 with *err filled (t then holds the
 * operations before the error). filename only labels messages. */
int kh_trace_parse(const char *text, size_t len, const char *filename, struct kh_trace *t,
                   struct kh_trace_error *err);

/* Decodes any byte string (see the format above). Returns 0, -1 on OOM. */
int kh_trace_decode(const uint8_t *data, size_t len, struct kh_trace *t);

/* As kh_trace_decode, for a fuzz target that drives only some operations:
 * in headerless input, opcode byte b selects ops[(b & 0x7F) % nops]. Input
 * with the "KHT" header always uses the full opcode space, so a trace
 * written by the tools replays the same way in every target. */
int kh_trace_decode_subset(const uint8_t *data, size_t len, const uint8_t *ops, unsigned nops,
                           struct kh_trace *t);

/* Text or binary: binary when the input starts with the header of a known
 * version or contains a control byte other than \t \n \v \f \r (bytes
 * >= 0x80 count as text, for UTF-8 comments). The encoder always writes the
 * header; headerless fuzzer inputs should go to kh_trace_decode directly. */
int kh_trace_is_binary(const uint8_t *data, size_t len);
int kh_trace_load(const uint8_t *data, size_t len, const char *filename, struct kh_trace *t,
                  struct kh_trace_error *err);

/* Binary encoding into a malloc'd buffer. Returns 0, -1 on OOM. */
int kh_trace_encode(const struct kh_trace *t, uint8_t **out, size_t *len);
/* Headerless encoding in a target's own opcode space (opcode byte = position
 * in ops[]), which kh_trace_decode_subset with the same ops decodes back.
 * Seed corpora use it, so that what libFuzzer mutates stays among the
 * target's operations. Returns 0, -1 on OOM, 1 when an operation of t is
 * not in ops. */
int kh_trace_encode_subset(const struct kh_trace *t, const uint8_t *ops, unsigned nops, uint8_t **out,
                           size_t *len);

/* SLAB_* names joined by '|' (unnamed bits as one hex number; "0" for
 * none): valid C with slab.h. snprintf contract. */
int kh_trace_format_slab_flags(uint32_t flags, char *buf, size_t cap);

/* Canonical text of one operation, without newline; snprintf contract. */
int kh_trace_format_op(const struct kh_trace *t, size_t i, char *buf, size_t cap);
/* Canonical text of the whole trace (malloc'd, NUL-terminated), or NULL on OOM. */
char *kh_trace_to_text(const struct kh_trace *t, size_t *len);

/* Same operations, operands and binding names (lines are ignored). */
int kh_trace_equal(const struct kh_trace *a, const struct kh_trace *b);

#endif
