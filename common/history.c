/* History's ids, keys and dates: see history.h. */
#include "history.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util.h"
#include "banned.h"

static const char *const kind_names[HISTORY_KINDS] = {"professional",
                                                      "activity", "mailbox"};

const char *history_kind_name(int kind)
{
    return kind >= 0 && kind < HISTORY_KINDS ? kind_names[kind] : "?";
}

int history_kind_of(const char *s)
{
    for (int k = 0; k < HISTORY_KINDS; k++)
        if (strcmp(s, kind_names[k]) == 0)
            return k;
    return -1;
}

static const char *const change_names[HISTORY_CHANGES] = {"added", "removed",
                                                          "changed"};

const char *history_change_name(int change)
{
    return change >= 0 && change < HISTORY_CHANGES ? change_names[change] : "?";
}

int history_change_of(const char *s)
{
    for (int c = 0; c < HISTORY_CHANGES; c++)
        if (strcmp(s, change_names[c]) == 0)
            return c;
    return -1;
}

void history_activity_id(char *out, const char *nid, const char *structure,
                         int n)
{
    if (!structure || !*structure)
        structure = "-";
    if (n > 1)
        snprintf(out, HISTORY_ID_MAX, "%.32s/%.64s/%d", nid, structure, n);
    else
        snprintf(out, HISTORY_ID_MAX, "%.32s/%.64s", nid, structure);
}

int64_t history_key(int kind, const char *id, size_t n)
{
    /* The kind's letter first, so that the three kinds never share a key
     * whatever their ids. */
    uint64_t h = 0xcbf29ce484222325ULL;
    h ^= (unsigned char)("PAM"[kind]);
    h *= 0x100000001b3ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)id[i];
        h *= 0x100000001b3ULL;
    }
    return (int64_t)h;
}

int history_day_parse(const char *s)
{
    int y, m, d;
    char tail;
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
        return -1;
    if (y < 1900 || m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    /* The day must exist (2026-02-30 is refused): the round trip through
     * timegm() keeps it unchanged. */
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
    time_t t = timegm(&tm);
    struct tm back;
    gmtime_r(&t, &back);
    if (back.tm_mday != d || back.tm_mon != m - 1)
        return -1;
    return y * 10000 + m * 100 + d;
}

void history_day_format(int day, char *out)
{
    snprintf(out, 16, "%04d-%02d-%02d", (day / 10000) % 10000,
             (day / 100) % 100, day % 100);
}

int history_day_add(int day, int n)
{
    struct tm tm = {.tm_year = day / 10000 - 1900,
                    .tm_mon = (day / 100) % 100 - 1,
                    .tm_mday = day % 100 + n};
    time_t t = timegm(&tm);
    gmtime_r(&t, &tm);
    return (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
}
