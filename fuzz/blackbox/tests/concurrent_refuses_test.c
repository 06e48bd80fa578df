/* concurrent_refuses_test.c - the concurrent target refuses an adapter that
 * does not declare KH_CAP_THREAD_SAFE (here the single-threaded reference),
 * with an error that names the adapter and the missing declaration. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "concurrent.h"

int main(void)
{
    char err[512] = "";
    struct cbb *x = cbb_new(&kh_adapter, err, sizeof(err));
    CHECK(x == NULL);
    printf("cbb_new: %s\n", err);
    CHECK(strstr(err, "adapter 'reference'") != NULL);
    CHECK(strstr(err, "KH_CAP_THREAD_SAFE") != NULL);
    if (x)
        cbb_free(x);
    return check_summary();
}
