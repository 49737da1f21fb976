/* rpps-gen's model: see gen.h. */
#include "gen.h"

#include "banned.h"

int gen_kind_of(const struct gen *g, uint32_t k)
{
    int kind = 0;
    while (k >= g->kstart[kind + 1])
        kind++;
    return kind;
}
