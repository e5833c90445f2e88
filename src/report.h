/* placeholder */
#ifndef REPORT_H
#define REPORT_H
#endif
