/* placeholder */
#ifndef EOL_H
#define EOL_H
#endif
