/* Functions this project does not use, in git's manner: each has a trap.
 * strtok merges empty fields ("a||c" gives two fields: the classic bug with
 * the RPPS files); atoi cannot report garbage (use strtol with an end
 * pointer); the others write without a bound. Include last. */
#ifndef BANNED_H
#define BANNED_H
#define BANNED(func) sorry_##func##_is_a_banned_function
#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef atoi
#define atoi(x) BANNED(atoi)
#endif
