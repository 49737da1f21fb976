/* A minimal test harness: checks count passes and failures, and main()
 * ends with t_done(), which prints "RESULT <passed> <failed>" for
 * tests/run.sh to add up and exits non-zero on any failure. A failed check
 * prints its file, line and the values compared. Tests are tables of
 * cases where they can be. */
#ifndef T_H
#define T_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_passed, t_failed;

#define T_CHECK(cond)                                                          \
    do {                                                                       \
        if (cond) {                                                            \
            t_passed++;                                                        \
        } else {                                                               \
            t_failed++;                                                        \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);    \
        }                                                                      \
    } while (0)

#define T_EQ_INT(a, b)                                                         \
    do {                                                                       \
        long long t_a_ = (long long)(a), t_b_ = (long long)(b);                \
        if (t_a_ == t_b_) {                                                    \
            t_passed++;                                                        \
        } else {                                                               \
            t_failed++;                                                        \
            fprintf(stderr, "FAIL %s:%d: %s == %s: %lld != %lld\n", __FILE__,  \
                    __LINE__, #a, #b, t_a_, t_b_);                             \
        }                                                                      \
    } while (0)

#define T_EQ_STR(a, b)                                                         \
    do {                                                                       \
        const char *t_a_ = (a), *t_b_ = (b);                                   \
        if (t_a_ && t_b_ && strcmp(t_a_, t_b_) == 0) {                         \
            t_passed++;                                                        \
        } else {                                                               \
            t_failed++;                                                        \
            fprintf(stderr, "FAIL %s:%d: %s == %s: \"%s\" != \"%s\"\n",        \
                    __FILE__, __LINE__, #a, #b, t_a_ ? t_a_ : "(null)",        \
                    t_b_ ? t_b_ : "(null)");                                   \
        }                                                                      \
    } while (0)

static inline int t_done(void)
{
    printf("RESULT %d %d\n", t_passed, t_failed);
    return t_failed ? 1 : 0;
}
#endif
