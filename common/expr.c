/* expr.c - the XLSForm expression subset: a recursive-descent parser into a small tree, and its evaluator. */
#include "expr.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "util.h"

#include "banned.h"

#define EXPR_MAX_SRC 4096    /* bytes of source */
#define EXPR_MAX_NEST 64     /* parentheses, calls and signs inside one another */
#define EXPR_MAX_DEPTH 256   /* depth of the tree, which long chains like a or b or c ... also grow */

enum tok {
	T_EOF, T_NUM, T_STR, T_REF, T_DOT, T_LP, T_RP, T_COMMA, T_NAME,
	T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_PLUS, T_MINUS, T_STAR
};

enum op { OP_OR, OP_AND, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD };

enum fn {
	F_NOT, F_SELECTED, F_COUNT_SELECTED, F_STRING_LENGTH, F_REGEX, F_TODAY, F_IF, F_CONCAT, F_TRUE, F_FALSE,
	F_NUMBER, F_INT, F_STRING, F_COALESCE
};

#define MANY (-1)
static const struct {
	const char *name;
	int min, max;
} fns[] = {
	[F_NOT] = { "not", 1, 1 },
	[F_SELECTED] = { "selected", 2, 2 },
	[F_COUNT_SELECTED] = { "count-selected", 1, 1 },
	[F_STRING_LENGTH] = { "string-length", 0, 1 },
	[F_REGEX] = { "regex", 2, 2 },
	[F_TODAY] = { "today", 0, 0 },
	[F_IF] = { "if", 3, 3 },
	[F_CONCAT] = { "concat", 0, MANY },
	[F_TRUE] = { "true", 0, 0 },
	[F_FALSE] = { "false", 0, 0 },
	[F_NUMBER] = { "number", 1, 1 },
	[F_INT] = { "int", 1, 1 },
	[F_STRING] = { "string", 1, 1 },
	[F_COALESCE] = { "coalesce", 2, 2 },
};

enum kind { N_NUM, N_STR, N_REF, N_SELF, N_NEG, N_BIN, N_CALL };

struct node {
	enum kind kind;
	int op;               /* enum op for N_BIN, enum fn for N_CALL */
	double num;           /* N_NUM */
	char *str;            /* N_STR text, N_REF question name; owned */
	size_t nargs;
	struct node **args;   /* operands or arguments, in source order; owned */
	int depth;            /* of the subtree */
	regex_t *re;          /* regex() with a literal pattern: compiled once, at parse time; owned */
};

struct expr {
	struct node *root;
};

struct parser {
	const char *src;
	size_t len;
	size_t pos, next;     /* the current token is src[pos..next) */
	enum tok tok;
	const char *text;     /* T_STR, T_REF and T_NAME: the token's text, without quotes or ${} */
	size_t tlen;
	double num;
	int nest;
	int failed;
	int oom;              /* failed for want of memory (expr_parse then sets errno to ENOMEM) */
	char *err;
	size_t errlen;
};

/* Replaces the locale's decimal point in a formatted number by '.'. */
static void c_point(char *out)
{
	const char *dp = localeconv()->decimal_point;
	size_t dl = strlen(dp);
	char *p;

	if (!strcmp(dp, ".") || !(p = strstr(out, dp)))
		return;
	*p = '.';
	memmove(p + 1, p + dl, strlen(p + dl) + 1);
}

/* Columns count characters from 1, as an editor shows them; the source is valid UTF-8 by then. */
static size_t column(const struct parser *p, size_t off)
{
	size_t i, col = 1;

	for (i = 0; i < off && i < p->len; i++)
		col += ((unsigned char)p->src[i] & 0xc0) != 0x80;
	return col;
}

__attribute__((format(printf, 3, 4)))
static void perr(struct parser *p, size_t off, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (p->failed)
		return;
	p->failed = 1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* TRANSLATORS: where in a form's expression the error was, then the error. */
	errf(p->err, p->errlen, _("at column %zu: %s"), column(p, off), msg);
}

static int is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* A question reference "${name}" at p->src[i] into p's token (T_REF, its text the name). On a lexical error sets
 * p->failed and leaves the token T_EOF. */
static void lex_ref(struct parser *p, size_t i)
{
	const char *s = p->src;
	size_t j = i + 2, n = p->len;

	if (i + 1 >= n || s[i + 1] != '{') {
		perr(p, i, _("expected '{' after '$'"));
		return;
	}
	if (j >= n || !(is_alpha(s[j]) || s[j] == '_')) {
		perr(p, j, _("expected a question name after '${'"));
		return;
	}
	while (j < n && (is_alpha(s[j]) || is_digit(s[j]) || s[j] == '_' || s[j] == '.' || s[j] == '-'))
		j++;
	if (j >= n || s[j] != '}') {
		perr(p, j, _("expected '}'"));
		return;
	}
	p->text = s + i + 2;
	p->tlen = j - (i + 2);
	p->tok = T_REF;
	p->next = j + 1;
}

/* The error for p->src[i], a character no token starts with: the whole of a UTF-8 sequence is quoted, and a
 * typographic quote is said to be one. Sets p->failed. */
static void lex_unexpected(struct parser *p, size_t i)
{
	const char *s = p->src;
	size_t n = p->len;
	unsigned char c = (unsigned char)s[i];

	if (c >= 0x80) {
		size_t k = 1;

		while (i + k < n && ((unsigned char)s[i + k] & 0xc0) == 0x80)
			k++;
		/* text pasted from a word processor brings typographic quotes */
		if (k == 3 && (unsigned char)s[i] == 0xe2 && (unsigned char)s[i + 1] == 0x80 &&
		    ((unsigned char)s[i + 2] == 0x98 || (unsigned char)s[i + 2] == 0x99 ||
		     (unsigned char)s[i + 2] == 0x9c || (unsigned char)s[i + 2] == 0x9d))
			perr(p, i, _("unexpected character '%.*s' (quote text with ' or \")"), (int)k, s + i);
		else
			perr(p, i, _("unexpected character '%.*s'"), (int)k, s + i);
	} else if (c >= 0x20 && c < 0x7f) {
		perr(p, i, _("unexpected character '%c'"), c);
	} else {
		perr(p, i, _("unexpected control character 0x%02x"), c);
	}
}

/* Reads the token after the current one into p. On a lexical error sets p->failed and the token to T_EOF.
 * Numbers, strings and names are read here, a reference and a stray character's error in the steps above; the
 * operators are a switch on one character, which reads best whole. */
static void lex(struct parser *p)
{
	const char *s = p->src;
	size_t i = p->next, n = p->len;
	unsigned char c;

	while (i < n && is_space(s[i]))
		i++;
	p->pos = i;
	p->tok = T_EOF;
	if (i >= n) {
		p->next = i;
		return;
	}
	c = (unsigned char)s[i];
	if (is_digit(c) || (c == '.' && i + 1 < n && is_digit(s[i + 1]))) {
		size_t j = i;

		while (j < n && is_digit(s[j]))
			j++;
		if (j < n && s[j] == '.')
			for (j++; j < n && is_digit(s[j]); j++)
				;
		p->num = strtod_c(s + i, j - i);
		p->tok = T_NUM;
		p->next = j;
		return;
	}
	if (c == '\'' || c == '"') {
		const char *end = memchr(s + i + 1, c, n - i - 1);

		if (!end) {
			perr(p, i, _("unterminated string (no closing %c)"), c);
			return;
		}
		p->text = s + i + 1;
		p->tlen = (size_t)(end - (s + i + 1));
		p->tok = T_STR;
		p->next = (size_t)(end - s) + 1;
		return;
	}
	if (c == '$') {
		lex_ref(p, i);
		return;
	}
	if (is_alpha(c) || c == '_') {
		size_t j = i + 1;

		/* XPath names may hold '-' (count-selected); requiring a letter after it keeps a-b readable as such */
		while (j < n && (is_alpha(s[j]) || is_digit(s[j]) || s[j] == '_' ||
				 (s[j] == '-' && j + 1 < n && is_alpha(s[j + 1]))))
			j++;
		p->text = s + i;
		p->tlen = j - i;
		p->tok = T_NAME;
		p->next = j;
		return;
	}
	p->next = i + 1;
	switch (c) {
	case '.': p->tok = T_DOT; return;
	case '(': p->tok = T_LP; return;
	case ')': p->tok = T_RP; return;
	case ',': p->tok = T_COMMA; return;
	case '=': p->tok = T_EQ; return;
	case '+': p->tok = T_PLUS; return;
	case '-': p->tok = T_MINUS; return;
	case '*': p->tok = T_STAR; return;
	case '<':
	case '>':
		if (i + 1 < n && s[i + 1] == '=') {
			p->tok = c == '<' ? T_LE : T_GE;
			p->next = i + 2;
		} else {
			p->tok = c == '<' ? T_LT : T_GT;
		}
		return;
	case '!':
		if (i + 1 < n && s[i + 1] == '=') {
			p->tok = T_NE;
			p->next = i + 2;
			return;
		}
		break;
	}
	p->next = i;
	lex_unexpected(p, i);
}

static int tok_is_word(const struct parser *p, const char *w)
{
	return p->tok == T_NAME && p->tlen == strlen(w) && !memcmp(p->text, w, p->tlen);
}

/* Out of memory while parsing: the parse fails with "out of memory", whatever it had found so far. */
static void parse_oom(struct parser *p)
{
	p->failed = 1;
	p->oom = 1;
	err_oom(p->err, p->errlen);
}

static void node_free(struct node *nd)
{
	size_t i;

	if (!nd)
		return;
	for (i = 0; i < nd->nargs; i++)
		node_free(nd->args[i]);
	free(nd->args);
	free(nd->str);
	if (nd->re) {
		regfree(nd->re);
		free(nd->re);
	}
	free(nd);
}

/* A new node, or NULL with the parse failed when out of memory. */
static struct node *node_new(struct parser *p, enum kind kind)
{
	struct node *nd = mem_calloc(1, sizeof *nd);

	if (!nd) {
		parse_oom(p);
		return NULL;
	}
	nd->kind = kind;
	nd->depth = 1;
	return nd;
}

/* Adopts child as the next operand of nd (freeing it when out of memory); refuses trees deeper than
 * EXPR_MAX_DEPTH so evaluation stays bounded. */
static int node_add(struct parser *p, struct node *nd, struct node *child, size_t off)
{
	struct node **args = mem_realloc(nd->args, (nd->nargs + 1) * sizeof *nd->args);

	if (!args) {
		node_free(child);
		parse_oom(p);
		return -1;
	}
	nd->args = args;
	nd->args[nd->nargs++] = child;
	if (child->depth + 1 > nd->depth)
		nd->depth = child->depth + 1;
	if (nd->depth > EXPR_MAX_DEPTH) {
		perr(p, off, _("expression is too deeply nested (more than %d levels)"), EXPR_MAX_DEPTH);
		return -1;
	}
	return 0;
}

static struct node *parse_or(struct parser *p);

static struct node *binary(struct parser *p, int op, struct node *left, struct node *right, size_t off)
{
	struct node *nd = node_new(p, N_BIN);

	if (!nd) {
		node_free(left);
		node_free(right);
		return NULL;
	}
	nd->op = op;
	if (node_add(p, nd, left, off) < 0) {
		node_free(right);
		node_free(nd);
		return NULL;
	}
	if (node_add(p, nd, right, off) < 0) {
		node_free(nd);
		return NULL;
	}
	return nd;
}

static int enter(struct parser *p)
{
	if (++p->nest > EXPR_MAX_NEST) {
		perr(p, p->pos, _("expression is too deeply nested (more than %d levels)"), EXPR_MAX_NEST);
		return -1;
	}
	return 0;
}

static int find_fn(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof fns / sizeof fns[0]; i++)
		if (strlen(fns[i].name) == len && !memcmp(fns[i].name, name, len))
			return (int)i;
	return -1;
}

static int is_operator_word(const struct parser *p)
{
	return tok_is_word(p, "and") || tok_is_word(p, "or") || tok_is_word(p, "div") || tok_is_word(p, "mod");
}

static void check_arity(struct parser *p, const struct node *call, size_t off)
{
	int min = fns[call->op].min, max = fns[call->op].max;
	const char *name = fns[call->op].name;
	size_t n = call->nargs;

	if ((int)n >= min && (max == MANY || (int)n <= max))
		return;
	if (min == max)
		/* TRANSLATORS: a function of the form's expressions ("if()"), how many arguments it takes, how many
		 * it was given. */
		perr(p, off, P_("%s() takes %d argument, not %zu", "%s() takes %d arguments, not %zu", min), name, min,
		     n);
	else if (max == MANY)
		perr(p, off, P_("%s() takes at least %d argument, not %zu", "%s() takes at least %d arguments, not %zu",
				min), name, min, n);
	else
		perr(p, off, _("%s() takes %d or %d arguments, not %zu"), name, min, max, n);
}

/* A pattern written as a literal is compiled now: a form with a bad regex() is refused when loaded, and a
 * constraint checked on every record does not compile its pattern each time. */
static void check_regex_literal(struct parser *p, struct node *call, size_t off)
{
	const struct node *pattern = call->args[1];
	regex_t *re;
	char msg[128];
	int rc;

	if (pattern->kind != N_STR)
		return;
	if (!(re = mem_alloc(sizeof(*re)))) {
		parse_oom(p);
		return;
	}
	rc = regcomp(re, pattern->str, REG_EXTENDED | REG_NOSUB);
	if (rc == REG_ESPACE) {
		free(re);
		parse_oom(p);
		return;
	}
	if (rc) {
		regerror(rc, re, msg, sizeof msg);
		perr(p, off, _("bad regular expression '%s': %s"), pattern->str, msg);
		free(re);
		return;
	}
	call->re = re;
}

static struct node *parse_call(struct parser *p)
{
	size_t name_off = p->pos, arg_off[2] = { 0, 0 };
	int fn = find_fn(p->text, p->tlen);
	struct node *nd;
	const char *name = p->text;
	int nlen = (int)p->tlen;

	lex(p);
	if (p->tok != T_LP) {
		if (p->failed)
			return NULL;
		if (fn >= 0)
			perr(p, p->pos, _("expected '(' after '%.*s'"), nlen, name);
		else
			/* TRANSLATORS: the three %.*s are the same word; keep ${...} as it is (a question's name). */
			perr(p, name_off, _("unexpected word '%.*s' (quote text, as in '%.*s'; "
					    "write a question as ${%.*s})"), nlen, name, nlen, name, nlen, name);
		return NULL;
	}
	if (fn < 0) {
		perr(p, name_off, _("unknown function '%.*s'"), nlen, name);
		return NULL;
	}
	if (enter(p) < 0)
		return NULL;
	if (!(nd = node_new(p, N_CALL)))
		return NULL;
	nd->op = fn;
	lex(p);
	if (p->tok != T_RP) {
		for (;;) {
			size_t off = p->pos;
			struct node *arg = parse_or(p);

			if (!arg || node_add(p, nd, arg, off) < 0) {
				node_free(nd);
				return NULL;
			}
			if (nd->nargs <= 2)
				arg_off[nd->nargs - 1] = off;
			if (p->tok != T_COMMA)
				break;
			lex(p);
		}
		if (p->tok != T_RP) {
			perr(p, p->pos, _("expected ',' or ')'"));
			node_free(nd);
			return NULL;
		}
	}
	check_arity(p, nd, name_off);
	if (!p->failed && fn == F_REGEX)
		check_regex_literal(p, nd, arg_off[1]);
	if (p->failed) {
		node_free(nd);
		return NULL;
	}
	p->nest--;
	lex(p);
	return nd;
}

static struct node *parse_primary(struct parser *p)
{
	struct node *nd;

	if (p->failed)
		return NULL;
	switch (p->tok) {
	case T_NUM:
		if (!(nd = node_new(p, N_NUM)))
			return NULL;
		nd->num = p->num;
		lex(p);
		return nd;
	case T_STR:
	case T_REF:
		if (!(nd = node_new(p, p->tok == T_STR ? N_STR : N_REF)))
			return NULL;
		if (!(nd->str = mem_strndup(p->text, p->tlen))) {
			node_free(nd);
			parse_oom(p);
			return NULL;
		}
		lex(p);
		return nd;
	case T_DOT:
		lex(p);
		return node_new(p, N_SELF);
	case T_LP:
		if (enter(p) < 0)
			return NULL;
		lex(p);
		nd = parse_or(p);
		if (!nd)
			return NULL;
		if (p->tok != T_RP) {
			perr(p, p->pos, _("expected ')'"));
			node_free(nd);
			return NULL;
		}
		p->nest--;
		lex(p);
		return nd;
	case T_NAME:
		if (is_operator_word(p)) {
			perr(p, p->pos, _("expected a value before '%.*s'"), (int)p->tlen, p->text);
			return NULL;
		}
		return parse_call(p);
	default:
		perr(p, p->pos, _("expected a value"));
		return NULL;
	}
}

static struct node *parse_unary(struct parser *p)
{
	size_t off = p->pos;
	struct node *nd, *operand;

	if (p->tok != T_MINUS)
		return parse_primary(p);
	if (enter(p) < 0)
		return NULL;
	lex(p);
	operand = parse_unary(p);
	if (!operand)
		return NULL;
	p->nest--;
	if (!(nd = node_new(p, N_NEG))) {
		node_free(operand);
		return NULL;
	}
	if (node_add(p, nd, operand, off) < 0) {
		node_free(nd);
		return NULL;
	}
	return nd;
}

/* One left-associative precedence level: operands from sub, operators recognised by which_op. */
static struct node *parse_level(struct parser *p, struct node *(*sub)(struct parser *),
				int (*which_op)(const struct parser *))
{
	struct node *left = sub(p);

	while (left) {
		int op = which_op(p);
		size_t off = p->pos;
		struct node *right;

		if (op < 0)
			break;
		lex(p);
		right = sub(p);
		if (!right) {
			node_free(left);
			return NULL;
		}
		left = binary(p, op, left, right, off);
	}
	return left;
}

static int op_mul(const struct parser *p)
{
	if (p->tok == T_STAR)
		return OP_MUL;
	if (tok_is_word(p, "div"))
		return OP_DIV;
	if (tok_is_word(p, "mod"))
		return OP_MOD;
	return -1;
}

static int op_add(const struct parser *p)
{
	return p->tok == T_PLUS ? OP_ADD : p->tok == T_MINUS ? OP_SUB : -1;
}

static int op_rel(const struct parser *p)
{
	switch (p->tok) {
	case T_LT: return OP_LT;
	case T_LE: return OP_LE;
	case T_GT: return OP_GT;
	case T_GE: return OP_GE;
	default: return -1;
	}
}

static int op_eq(const struct parser *p)
{
	return p->tok == T_EQ ? OP_EQ : p->tok == T_NE ? OP_NE : -1;
}

static int op_and(const struct parser *p)
{
	return tok_is_word(p, "and") ? OP_AND : -1;
}

static int op_or(const struct parser *p)
{
	return tok_is_word(p, "or") ? OP_OR : -1;
}

static struct node *parse_mul(struct parser *p)
{
	return parse_level(p, parse_unary, op_mul);
}

static struct node *parse_add(struct parser *p)
{
	return parse_level(p, parse_mul, op_add);
}

static struct node *parse_rel(struct parser *p)
{
	return parse_level(p, parse_add, op_rel);
}

static struct node *parse_eq(struct parser *p)
{
	return parse_level(p, parse_rel, op_eq);
}

static struct node *parse_and(struct parser *p)
{
	return parse_level(p, parse_eq, op_and);
}

static struct node *parse_or(struct parser *p)
{
	return parse_level(p, parse_and, op_or);
}

struct expr *expr_parse(const char *src, char *err, size_t errlen)
{
	struct parser p = { 0 };
	struct expr *e;
	struct node *root;
	size_t bad;

	p.src = src;
	p.len = strlen(src);
	p.err = err;
	p.errlen = errlen;
	errno = EINVAL;
	if (p.len > EXPR_MAX_SRC) {
		errf(err, errlen, _("expression is longer than %d bytes"), EXPR_MAX_SRC);
		return NULL;
	}
	if (!utf8_valid(src, p.len, &bad)) {
		errf(err, errlen, _("at byte %zu: invalid UTF-8"), bad + 1);
		return NULL;
	}
	lex(&p);
	if (!p.failed && p.tok == T_EOF) {
		errf(err, errlen, _("empty expression"));
		return NULL;
	}
	root = parse_or(&p);
	if (root && p.failed) {
		/* a lexical error after a complete operand ends the token stream early */
		node_free(root);
		root = NULL;
	}
	if (root && p.tok != T_EOF) {
		perr(&p, p.pos, _("expected an operator or the end of the expression"));
		node_free(root);
		root = NULL;
	}
	if (root && !(e = mem_alloc(sizeof *e))) {
		parse_oom(&p);
		node_free(root);
		root = NULL;
	}
	if (!root) {
		errno = p.oom ? ENOMEM : EINVAL;
		return NULL;
	}
	e->root = root;
	return e;
}

void expr_free(struct expr *e)
{
	if (!e)
		return;
	node_free(e->root);
	free(e);
}

static int refs(const struct node *nd, int (*fn)(void *ctx, const char *name), void *ctx)
{
	size_t i;
	int rc;

	if (nd->kind == N_REF)
		return fn(ctx, nd->str);
	for (i = 0; i < nd->nargs; i++)
		if ((rc = refs(nd->args[i], fn, ctx)) != 0)
			return rc;
	return 0;
}

int expr_refs(const struct expr *e, int (*fn)(void *ctx, const char *name), void *ctx)
{
	return e ? refs(e->root, fn, ctx) : 0;
}

/* --- evaluation --- */

enum vtype { V_STR, V_NUM, V_BOOL };

struct val {
	enum vtype t;
	double n;       /* V_NUM, and V_BOOL as 0 or 1 */
	char *s;        /* V_STR, owned */
};

struct ctx {
	const json_t *answers, *self;
	char *err;
	size_t errlen;
};

static void val_release(struct val *v)
{
	if (v->t == V_STR)
		free(v->s);
	v->s = NULL;
}

static struct val vstr(char *owned)
{
	struct val v = { V_STR, 0, owned };
	return v;
}

static struct val vnum(double d)
{
	struct val v = { V_NUM, d, NULL };
	return v;
}

static struct val vbool(int b)
{
	struct val v = { V_BOOL, b ? 1 : 0, NULL };
	return v;
}

/* XPath string(number): whole numbers without a fraction, others in the shortest form that reads back. */
static void fmt_num(double d, char *out, size_t n)
{
	if (isnan(d))
		snprintf(out, n, "NaN");
	else if (isinf(d))
		snprintf(out, n, d > 0 ? "Infinity" : "-Infinity");
	else if (d == 0)
		snprintf(out, n, "0");
	else if (d == trunc(d) && fabs(d) < 1e15)
		snprintf(out, n, "%.0f", d);
	else {
		snprintf(out, n, "%.15g", d);
		c_point(out);
		if (strtod_c(out, strlen(out)) != d) {
			snprintf(out, n, "%.17g", d);
			c_point(out);
		}
	}
}

/* XPath number(string): optional blanks, optional '-', digits with an optional fraction; anything else is NaN. */
static double str_num(const char *s)
{
	const char *p = s, *start, *end;
	int digits = 0;

	while (is_space(*p))
		p++;
	start = p;
	if (*p == '-')
		p++;
	for (; is_digit(*p); p++)
		digits++;
	if (*p == '.')
		for (p++; is_digit(*p); p++)
			digits++;
	end = p;
	while (is_space(*p))
		p++;
	if (!digits || *p)
		return NAN;
	return strtod_c(start, (size_t)(end - start));
}

static double to_num(const struct val *v)
{
	return v->t == V_STR ? str_num(v->s) : v->n;
}

static int to_bool(const struct val *v)
{
	switch (v->t) {
	case V_STR: return v->s[0] != '\0';
	case V_NUM: return v->n != 0 && !isnan(v->n);
	default: return v->n != 0;
	}
}

/* string(v) as a new string the caller frees; NULL when out of memory. */
static char *to_str(const struct val *v)
{
	char num[64];

	switch (v->t) {
	case V_STR: return mem_strdup(v->s);
	case V_BOOL: return mem_strdup(v->n ? "true" : "false");
	default:
		fmt_num(v->n, num, sizeof num);
		return mem_strdup(num);
	}
}

/* *out = the string owned (NULL: out of memory, the evaluation fails with ERR_OOM). */
static int str_val(struct ctx *c, char *owned, struct val *out)
{
	if (!owned)
		return err_oom(c->err, c->errlen);
	*out = vstr(owned);
	return 0;
}

/* An answer as XPath sees it: unanswered is "", a select_multiple array its names joined by spaces, an attachment
 * its file's name (as ODK gives it). */
static int from_json(struct ctx *c, const json_t *j, struct val *out)
{
	char num[64];

	if (!j)
		return str_val(c, mem_strdup(""), out);
	switch (json_typeof(j)) {
	case JSON_STRING: return str_val(c, mem_strndup(json_string_value(j), json_string_length(j)), out);
	case JSON_INTEGER: *out = vnum((double)json_integer_value(j)); return 0;
	case JSON_REAL: *out = vnum(json_real_value(j)); return 0;
	case JSON_TRUE: *out = vbool(1); return 0;
	case JSON_FALSE: *out = vbool(0); return 0;
	case JSON_ARRAY: {
		size_t i, len = 0, at = 0;
		const json_t *x;
		char *s;

		json_array_foreach(j, i, x)
			len += (json_is_string(x) ? json_string_length(x) : sizeof num) + 1;
		if (!(s = mem_alloc(len + 1)))
			return err_oom(c->err, c->errlen);
		json_array_foreach(j, i, x) {
			const char *part = num;

			if (json_is_string(x))
				part = json_string_value(x);
			else if (json_is_number(x))
				fmt_num(json_number_value(x), num, sizeof num);
			else
				continue;
			if (at)
				s[at++] = ' ';
			memcpy(s + at, part, strlen(part));
			at += strlen(part);
		}
		s[at] = '\0';
		*out = vstr(s);
		return 0;
	}
	case JSON_OBJECT: {
		const json_t *name = json_object_get(j, "name");

		return str_val(c, mem_strdup(json_is_string(name) ? json_string_value(name) : ""), out);
	}
	default:
		return str_val(c, mem_strdup(""), out);
	}
}

/* XPath equality and ODK ordering: booleans compare as booleans for = and !=, a number on either side makes it
 * numeric (NaN is unequal to everything), two strings compare exactly for = and !=, and for < <= > >= as
 * numbers when both read as numbers, else byte by byte so that ISO dates order correctly. */
static int compare(int op, const struct val *a, const struct val *b)
{
	double x, y;
	int c;

	if ((op == OP_EQ || op == OP_NE) && (a->t == V_BOOL || b->t == V_BOOL)) {
		c = to_bool(a) == to_bool(b);
		return op == OP_EQ ? c : !c;
	}
	if (a->t == V_STR && b->t == V_STR) {
		if (op == OP_EQ)
			return strcmp(a->s, b->s) == 0;
		if (op == OP_NE)
			return strcmp(a->s, b->s) != 0;
		x = str_num(a->s);
		y = str_num(b->s);
		if (isnan(x) || isnan(y)) {
			c = strcmp(a->s, b->s);
			x = c;
			y = 0;
		}
	} else {
		x = to_num(a);
		y = to_num(b);
	}
	switch (op) {
	case OP_EQ: return x == y;
	case OP_NE: return x != y;
	case OP_LT: return x < y;
	case OP_LE: return x <= y;
	case OP_GT: return x > y;
	default: return x >= y;
	}
}

/* Whether name is one of the space-separated words of list. */
static int has_word(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	for (;;) {
		size_t w;

		while (is_space(*p))
			p++;
		if (!*p)
			return 0;
		for (w = 0; p[w] && !is_space(p[w]); w++)
			;
		if (w == n && !memcmp(p, name, n))
			return 1;
		p += w;
	}
}

static size_t count_words(const char *list)
{
	size_t n = 0;
	const char *p = list;

	while (*p) {
		while (is_space(*p))
			p++;
		if (!*p)
			break;
		n++;
		while (*p && !is_space(*p))
			p++;
	}
	return n;
}

static char *trimmed(const char *s)
{
	size_t len;

	while (is_space(*s))
		s++;
	len = strlen(s);
	while (len && is_space(s[len - 1]))
		len--;
	return mem_strndup(s, len);
}

static int eval(const struct node *nd, struct ctx *c, struct val *out);

/* Evaluates argument i of a call as a string the caller frees. */
static int eval_str(const struct node *nd, size_t i, struct ctx *c, char **out)
{
	struct val v;
	int r;

	if ((r = eval(nd->args[i], c, &v)) < 0)
		return r;
	*out = v.t == V_STR ? v.s : to_str(&v);
	if (v.t != V_STR)
		val_release(&v);
	return *out ? 0 : err_oom(c->err, c->errlen);
}

/* selected(list, name): whether name, trimmed, is one of list's words. */
static int eval_selected(const struct node *nd, struct ctx *c, struct val *out)
{
	char *s, *t, *name;
	int r;

	if ((r = eval_str(nd, 0, c, &s)) < 0)
		return r;
	if ((r = eval_str(nd, 1, c, &t)) < 0) {
		free(s);
		return r;
	}
	if ((name = trimmed(t)))
		*out = vbool(name[0] && has_word(s, name));
	else
		r = err_oom(c->err, c->errlen);
	free(name);
	free(s);
	free(t);
	return r;
}

/* regex(s, pattern), its pattern compiled at parse time when it is a literal. */
static int eval_regex(const struct node *nd, struct ctx *c, struct val *out)
{
	regex_t re;
	char msg[128], *s, *t;
	int rc, r;

	if ((r = eval_str(nd, 0, c, &s)) < 0)
		return r;
	if (nd->re) {
		*out = vbool(regexec(nd->re, s, 0, NULL, 0) == 0);
		free(s);
		return 0;
	}
	if ((r = eval_str(nd, 1, c, &t)) < 0) {
		free(s);
		return r;
	}
	rc = regcomp(&re, t, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		regerror(rc, &re, msg, sizeof msg);
		r = rc == REG_ESPACE ? err_oom(c->err, c->errlen) :
				       errf(c->err, c->errlen, _("regex(): bad regular expression '%s': %s"), t, msg);
		free(s);
		free(t);
		return r;
	}
	*out = vbool(regexec(&re, s, 0, NULL, 0) == 0);
	regfree(&re);
	free(s);
	free(t);
	return 0;
}

/* concat(a, ...): the strings of its arguments one after the other. */
static int eval_concat(const struct node *nd, struct ctx *c, struct val *out)
{
	size_t i, len = 0;
	char **parts = mem_calloc(nd->nargs ? nd->nargs : 1, sizeof *parts), *s = NULL;
	int r = 0;

	if (!parts)
		return err_oom(c->err, c->errlen);
	for (i = 0; i < nd->nargs && r == 0; i++)
		if ((r = eval_str(nd, i, c, &parts[i])) == 0)
			len += strlen(parts[i]);
	if (r == 0 && !(s = mem_alloc(len + 1)))
		r = err_oom(c->err, c->errlen);
	for (i = 0, len = 0; s && i < nd->nargs; i++) {
		size_t l = strlen(parts[i]);

		memcpy(s + len, parts[i], l);
		len += l;
	}
	if (s) {
		s[len] = '\0';
		*out = vstr(s);
	}
	for (i = 0; i < nd->nargs; i++)
		free(parts[i]);
	free(parts);
	return r;
}

static int eval_call(const struct node *nd, struct ctx *c, struct val *out)
{
	struct val a;
	char *s;
	char today[16];
	int r;

	switch (nd->op) {
	case F_NOT:
		if ((r = eval(nd->args[0], c, &a)) < 0)
			return r;
		*out = vbool(!to_bool(&a));
		val_release(&a);
		return 0;
	case F_SELECTED:
		return eval_selected(nd, c, out);
	case F_COUNT_SELECTED:
		if ((r = eval_str(nd, 0, c, &s)) < 0)
			return r;
		*out = vnum((double)count_words(s));
		free(s);
		return 0;
	case F_STRING_LENGTH:
		if (nd->nargs == 0) {
			if ((r = from_json(c, c->self, &a)) < 0)
				return r;
			s = to_str(&a);
			val_release(&a);
			if (!s)
				return err_oom(c->err, c->errlen);
		} else if ((r = eval_str(nd, 0, c, &s)) < 0) {
			return r;
		}
		*out = vnum((double)utf8_len(s));
		free(s);
		return 0;
	case F_REGEX:
		return eval_regex(nd, c, out);
	case F_TODAY:
		today_str(clock_ms(), today, sizeof today);
		return str_val(c, mem_strdup(today), out);
	case F_IF:
		if ((r = eval(nd->args[0], c, &a)) < 0)
			return r;
		r = to_bool(&a);
		val_release(&a);
		return eval(nd->args[r ? 1 : 2], c, out);
	case F_CONCAT:
		return eval_concat(nd, c, out);
	case F_TRUE:
	case F_FALSE:
		*out = vbool(nd->op == F_TRUE);
		return 0;
	case F_NUMBER:
	case F_INT:
		if ((r = eval(nd->args[0], c, &a)) < 0)
			return r;
		*out = vnum(nd->op == F_INT ? trunc(to_num(&a)) : to_num(&a));
		val_release(&a);
		return 0;
	case F_STRING:
		if ((r = eval_str(nd, 0, c, &s)) < 0)
			return r;
		*out = vstr(s);
		return 0;
	case F_COALESCE:
		if ((r = eval(nd->args[0], c, &a)) < 0)
			return r;
		if (a.t != V_STR || a.s[0]) {
			*out = a;
			return 0;
		}
		val_release(&a);
		return eval(nd->args[1], c, out);
	}
	return errf(c->err, c->errlen, _("unknown function"));
}

/* -1 (ERR_OOM when out of memory) with c->err set, or 0 and *out, which the caller releases. */
static int eval(const struct node *nd, struct ctx *c, struct val *out)
{
	struct val a, b;
	double x, y;
	int r;

	switch (nd->kind) {
	case N_NUM:
		*out = vnum(nd->num);
		return 0;
	case N_STR:
		return str_val(c, mem_strdup(nd->str), out);
	case N_REF:
		return from_json(c, c->answers && json_is_object(c->answers) ? json_object_get(c->answers, nd->str) : NULL,
				 out);
	case N_SELF:
		return from_json(c, c->self, out);
	case N_NEG:
		if ((r = eval(nd->args[0], c, &a)) < 0)
			return r;
		*out = vnum(-to_num(&a));
		val_release(&a);
		return 0;
	case N_CALL:
		return eval_call(nd, c, out);
	case N_BIN:
		break;
	}
	if ((r = eval(nd->args[0], c, &a)) < 0)
		return r;
	if (nd->op == OP_OR || nd->op == OP_AND) {
		int l = to_bool(&a);

		val_release(&a);
		/* short-circuit, as XPath does: the right side may be an error only when it matters */
		if (nd->op == OP_OR ? l : !l) {
			*out = vbool(l);
			return 0;
		}
		if ((r = eval(nd->args[1], c, &b)) < 0)
			return r;
		*out = vbool(to_bool(&b));
		val_release(&b);
		return 0;
	}
	if ((r = eval(nd->args[1], c, &b)) < 0) {
		val_release(&a);
		return r;
	}
	switch (nd->op) {
	case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE:
		*out = vbool(compare(nd->op, &a, &b));
		break;
	default:
		x = to_num(&a);
		y = to_num(&b);
		switch (nd->op) {
		case OP_ADD: *out = vnum(x + y); break;
		case OP_SUB: *out = vnum(x - y); break;
		case OP_MUL: *out = vnum(x * y); break;
		case OP_DIV: *out = vnum(x / y); break;
		default: *out = vnum(fmod(x, y)); break;
		}
	}
	val_release(&a);
	val_release(&b);
	return 0;
}

/* Numbers come back as JSON integers when whole (so a default fits an integer question), as reals otherwise;
 * NaN and the infinities, which JSON cannot hold, come back as their XPath strings. */
int expr_eval(const struct expr *e, const json_t *answers, const json_t *self, json_t **out, char *err,
	      size_t errlen)
{
	struct ctx c = { answers, self, err, errlen };
	struct val v;
	char num[64];

	int r;

	*out = NULL;
	if ((r = eval(e->root, &c, &v)) < 0)
		return r;
	switch (v.t) {
	case V_BOOL:
		*out = json_boolean(v.n != 0);
		break;
	case V_NUM:
		if (isfinite(v.n) && v.n == trunc(v.n) && fabs(v.n) < 9007199254740992.0)
			*out = json_integer((json_int_t)v.n);
		else if (isfinite(v.n))
			*out = json_real(v.n);
		else {
			fmt_num(v.n, num, sizeof num);
			*out = json_string(num);
		}
		break;
	default:
		*out = json_string(v.s);
		break;
	}
	/* Only a string that is not UTF-8 cannot be represented; anything else failed for want of memory. */
	r = *out || (v.t == V_STR && !utf8_valid(v.s, strlen(v.s), NULL)) ? 0 : ERR_OOM;
	val_release(&v);
	if (r)
		return err_oom(err, errlen);
	if (!*out)
		return errf(err, errlen, _("the result cannot be represented in JSON"));
	return 0;
}

int expr_eval_bool(const struct expr *e, const json_t *answers, const json_t *self, int *out, char *err,
		   size_t errlen)
{
	struct ctx c = { answers, self, err, errlen };
	struct val v;
	int r;

	*out = 0;
	if ((r = eval(e->root, &c, &v)) < 0)
		return r;
	*out = to_bool(&v);
	val_release(&v);
	return 0;
}
