/*
 * The BuildKit Dockerfile syntax, written for tagdrift: parser directives,
 * comments, line continuations, heredocs, builder flags and the shell-word
 * rules (words, quotes, variable substitution) that instructions use.
 * Parsing never fails: what BuildKit rejects is kept as far as it goes.
 * Strings may hold NUL bytes, so each comes with its length (and is
 * NUL-terminated as well).  dockerfile.c holds the parser, dockerfile-shell.c
 * the shell-word lexer and expander.
 */
#ifndef DOCKERFILE_H
#define DOCKERFILE_H

#include <stddef.h>

#include "buf.h"

struct dockerfile_flag {
	char		*word;		/* "--from=build", quotes removed */
	size_t		 len;
	size_t		 off;		/* where it is written in text */
	size_t		 rawlen;	/* how long it is written */
};

struct dockerfile_heredoc {
	char		*name;		/* the delimiter, quotes removed */
	size_t		 namelen;
	int		 chomp;		/* <<- : leading tabs were stripped */
	int		 quoted;	/* the delimiter was quoted */
	int		 terminated;	/* the delimiter line was found */
	unsigned	 line;		/* first line of the body */
	char		*body;		/* lines with their line endings */
	size_t		 bodylen;
};

struct dockerfile_instr {
	char			*keyword;	/* lowercase: "from", "run" */
	struct dockerfile_flag	*flags;
	size_t			 nflags;
	char			*args;		/* after the flags, trimmed */
	size_t			 argslen;
	size_t			 argsoff;	/* where args start in text */
	char			*text;		/* continuation lines joined */
	size_t			 textlen;
	unsigned		 line;		/* 1-based start line */
	unsigned		 end_line;	/* last line, with heredocs */
	unsigned		 column;	/* of args on line, or 0 */
	unsigned		 textcol;	/* column of text[0] on line */
	size_t			 textfirst;	/* bytes of text from line */
	int			 json;		/* args: JSON string array */
	struct dockerfile_heredoc *heredocs;
	size_t			 nheredocs;
};

struct dockerfile {
	struct dockerfile_instr	*instrs;
	size_t			 ninstrs;
	size_t			 ainstrs;
	char			 escape;	/* '\\' or '`' */
	char			*syntax;	/* # syntax= value, or NULL */
	char			*check;		/* # check= value, or NULL */
	unsigned		 nlines;
};

/* A word of an instruction's arguments, as written (quotes kept). */
struct dockerfile_word {
	size_t		 off;
	size_t		 len;
};

/*
 * Parse len bytes of buf (no terminator needed).  The caller frees the
 * result with dockerfile_free.
 */
struct dockerfile	*dockerfile_parse(const char *buf, size_t len);
void			 dockerfile_free(struct dockerfile *);
/* 1-based column of text offset off, 0 when it is not on the start line. */
unsigned		 dockerfile_column(const struct dockerfile_instr *,
			     size_t off);
/*
 * The first flag --name=value (or --name) at index *from or later, *from
 * moved past it; NULL when there is none.
 */
const struct dockerfile_flag *dockerfile_flag(const struct dockerfile_instr *,
			     const char *name, size_t *from);
/*
 * Split s into words at whitespace outside quotes, keeping quotes and
 * escapes (BuildKit's rule for ARG, ENV and LABEL).  Returns the number
 * of words; *words is allocated, the caller frees it.
 */
size_t			 dockerfile_words(const char *s, size_t len, char esc,
			     struct dockerfile_word **words);

/* Length of the Unicode white space character at s, 0 if there is none. */
size_t			 dockerfile_space(const char *s, size_t n);
/*
 * Move *i past the shell word starting at s[*i] (to white space outside
 * quotes and substitutions); -1 when its quoting is broken.
 */
int			 dockerfile_shell_word(const char *s, size_t n,
			     size_t *i);

/* How a variable lookup came out. */
enum dockerfile_var {
	DOCKERFILE_VAR_SET,		/* value is known */
	DOCKERFILE_VAR_UNSET,		/* known not to be set */
	DOCKERFILE_VAR_UNKNOWN		/* depends on the build: problem */
};

/*
 * Look a variable up for expansion: fill *value and *len (owned by the
 * callee) when it is set; otherwise *problem may say why it has no value
 * (allocated, the expander frees it).
 */
typedef enum dockerfile_var (*dockerfile_lookup_cb)(void *arg,
    const char *name, size_t namelen, const char **value, size_t *len,
    char **problem);

/*
 * Expand one word the way BuildKit does for FROM, ARG and ENV values:
 * quotes removed, escapes processed, $V ${V} ${V:-d} ${V-d} ${V:+d}
 * ${V+d} ${V:?m} ${V?m} substituted.  On success the result is appended
 * to out and 0 is returned.  When a variable has no known value or the
 * word cannot be processed (broken quoting or substitution, a pattern
 * substitution, a result longer than out's cap), -1 is returned and
 * *problem says why (the caller frees it).
 */
int			 dockerfile_expand(const char *s, size_t len, char esc,
			     dockerfile_lookup_cb, void *arg, struct buf *out,
			     char **problem);

#endif
