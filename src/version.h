/* placeholder */
#ifndef VERSION_H
#define VERSION_H
#endif
