/* keeps the pwtest library non-empty */
typedef int pwtest_keep_t;
