/* Placeholder: the BuildKit-syntax Dockerfile parser (being written). */
#ifndef DOCKERFILE_H
#define DOCKERFILE_H
#endif
