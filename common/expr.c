/* expr.c - the XLSForm expression language: a recursive-descent parser into a small tree, and its evaluator.
 *
 * The file reads top-down: the lexer, the parser (each precedence level, then calls, whose functions and their
 * checks live in expr-fn.c), then evaluation: values and XPath's conversions, comparisons, ${name} and the sets of
 * answers it may stand for, and the public calls. */
#include "expr-priv.h"

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
	T_EOF, T_NUM, T_STR, T_REF, T_DOT, T_DOTDOT, T_LP, T_RP, T_COMMA, T_NAME,
	T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_PLUS, T_MINUS, T_STAR
};

enum op { OP_OR, OP_AND, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD };

struct expr {
	struct expr_node *root;
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

/* --- the lexer --- */

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

int expr_is_space(int c)
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

/* The end of the name starting at s[i]: XPath names may hold '-' (count-selected), and a prefix such as jr: in
 * jr:choice-name; requiring a letter after either keeps a-b and a:b readable as such. */
static size_t name_end(const char *s, size_t i, size_t n)
{
	size_t j = i + 1;
	int prefixed = 0;

	for (;;) {
		if (j < n && (is_alpha(s[j]) || is_digit(s[j]) || s[j] == '_'))
			j++;
		else if (j + 1 < n && s[j] == '-' && is_alpha(s[j + 1]))
			j++;
		else if (j + 1 < n && s[j] == ':' && !prefixed && is_alpha(s[j + 1]))
			j++, prefixed = 1;
		else
			return j;
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

	while (i < n && expr_is_space(s[i]))
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
		size_t j = name_end(s, i, n);

		p->text = s + i;
		p->tlen = j - i;
		p->tok = T_NAME;
		p->next = j;
		return;
	}
	p->next = i + 1;
	switch (c) {
	case '.':
		if (i + 1 < n && s[i + 1] == '.') {
			p->tok = T_DOTDOT;
			p->next = i + 2;
		} else {
			p->tok = T_DOT;
		}
		return;
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

/* --- the tree --- */

/* Out of memory while parsing: the parse fails with "out of memory", whatever it had found so far. */
static void parse_oom(struct parser *p)
{
	p->failed = 1;
	p->oom = 1;
	err_oom(p->err, p->errlen);
}

static void node_free(struct expr_node *nd)
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

/* A new node beginning at source offset off, or NULL with the parse failed when out of memory. */
static struct expr_node *node_new(struct parser *p, enum expr_kind kind, size_t off)
{
	struct expr_node *nd = mem_calloc(1, sizeof *nd);

	if (!nd) {
		parse_oom(p);
		return NULL;
	}
	nd->kind = kind;
	nd->depth = 1;
	nd->off = off;
	return nd;
}

/* Adopts child as the next operand of nd (freeing it when out of memory); refuses trees deeper than
 * EXPR_MAX_DEPTH so evaluation stays bounded. */
static int node_add(struct parser *p, struct expr_node *nd, struct expr_node *child, size_t off)
{
	struct expr_node **args = mem_realloc(nd->args, (nd->nargs + 1) * sizeof *nd->args);

	if (!args) {
		node_free(child);
		parse_oom(p);
		return -1;
	}
	nd->args = args;
	nd->args[nd->nargs++] = child;
	if (child->depth + 1 > nd->depth)
		nd->depth = child->depth + 1;
	/* what once() holds is worked out once: it makes nothing above it volatile */
	if (child->volatile_ && !(nd->kind == N_CALL && !strcmp(nd->fn->name, "once")))
		nd->volatile_ = 1;
	if (nd->depth > EXPR_MAX_DEPTH) {
		perr(p, off, _("expression is too deeply nested (more than %d levels)"), EXPR_MAX_DEPTH);
		return -1;
	}
	return 0;
}

/* --- the parser --- */

static struct expr_node *parse_or(struct parser *p);

static struct expr_node *binary(struct parser *p, int op, struct expr_node *left, struct expr_node *right,
				size_t off)
{
	struct expr_node *nd = node_new(p, N_BIN, left->off);

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

static int is_operator_word(const struct parser *p)
{
	return tok_is_word(p, "and") || tok_is_word(p, "or") || tok_is_word(p, "div") || tok_is_word(p, "mod");
}

static void check_arity(struct parser *p, const struct expr_node *call, size_t off)
{
	int min = call->fn->min, max = call->fn->max;
	const char *name = call->fn->name;
	size_t n = call->nargs;

	if ((int)n >= min && (max < 0 || (int)n <= max))
		return;
	if (min == max)
		/* TRANSLATORS: a function of the form's expressions ("if()"), how many arguments it takes, how many
		 * it was given. */
		perr(p, off, P_("%s() takes %d argument, not %zu", "%s() takes %d arguments, not %zu", min), name, min,
		     n);
	else if (max < 0)
		perr(p, off, P_("%s() takes at least %d argument, not %zu", "%s() takes at least %d arguments, not %zu",
				min), name, min, n);
	else if (max == min + 1)
		perr(p, off, _("%s() takes %d or %d arguments, not %zu"), name, min, max, n);
	else
		/* TRANSLATORS: a function of the form's expressions, the fewest and the most arguments it takes, how
		 * many it was given. */
		perr(p, off, _("%s() takes %d to %d arguments, not %zu"), name, min, max, n);
}

/* The function's own checks of its arguments (a literal pattern compiled, a question named as jr:choice-name()
 * wants it...), so that a form with a bad one is refused when loaded rather than when a record is filled in. */
static void check_call(struct parser *p, struct expr_node *call, size_t name_off)
{
	char msg[400];
	size_t at = (size_t)-1;
	int r;

	if (p->failed || !call->fn->check)
		return;
	r = call->fn->check(call, &at, msg, sizeof msg);
	if (r == ERR_OOM)
		parse_oom(p);
	else if (r < 0)
		perr(p, at < call->nargs ? call->args[at]->off : name_off, "%s", msg);
}

/* The argument of position(): `..`, the repeat instance the question is in (XPath's parent step), which the
 * language reads nowhere else. */
static struct expr_node *parse_parent(struct parser *p)
{
	struct expr_node *nd = node_new(p, N_PARENT, p->pos);

	if (nd)
		lex(p);
	return nd;
}

/* A call: the function's name is the current token. */
static struct expr_node *parse_call(struct parser *p)
{
	size_t name_off = p->pos;
	const struct expr_fn *fn = expr_fn_find(p->text, p->tlen);
	struct expr_node *nd;
	const char *name = p->text;
	int nlen = (int)p->tlen;

	lex(p);
	if (p->tok != T_LP) {
		if (p->failed)
			return NULL;
		if (fn)
			perr(p, p->pos, _("expected '(' after '%.*s'"), nlen, name);
		else
			/* TRANSLATORS: the three %.*s are the same word; keep ${...} as it is (a question's name). */
			perr(p, name_off, _("unexpected word '%.*s' (quote text, as in '%.*s'; "
					    "write a question as ${%.*s})"), nlen, name, nlen, name, nlen, name);
		return NULL;
	}
	if (!fn) {
		perr(p, name_off, _("unknown function '%.*s'"), nlen, name);
		return NULL;
	}
	if (fn->refused) {
		/* TRANSLATORS: a function of ODK's expressions ("pulldata()"), then why Sondeo does not have it. */
		perr(p, name_off, _("%s() is not available in Sondeo: %s"), fn->name, _(fn->refused));
		return NULL;
	}
	if (enter(p) < 0)
		return NULL;
	if (!(nd = node_new(p, N_CALL, name_off)))
		return NULL;
	nd->fn = fn;
	nd->volatile_ = fn->volatile_;
	lex(p);
	if (p->tok != T_RP) {
		for (;;) {
			size_t off = p->pos;
			int parent = p->tok == T_DOTDOT && !strcmp(fn->name, "position");
			struct expr_node *arg = parent ? parse_parent(p) : parse_or(p);

			if (!arg || node_add(p, nd, arg, off) < 0) {
				node_free(nd);
				return NULL;
			}
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
	check_call(p, nd, name_off);
	if (p->failed) {
		node_free(nd);
		return NULL;
	}
	p->nest--;
	lex(p);
	return nd;
}

static struct expr_node *parse_primary(struct parser *p)
{
	struct expr_node *nd;
	size_t off = p->pos;

	if (p->failed)
		return NULL;
	switch (p->tok) {
	case T_NUM:
		if (!(nd = node_new(p, N_NUM, off)))
			return NULL;
		nd->num = p->num;
		lex(p);
		return nd;
	case T_STR:
	case T_REF:
		if (!(nd = node_new(p, p->tok == T_STR ? N_STR : N_REF, off)))
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
		return node_new(p, N_SELF, off);
	case T_DOTDOT:
		perr(p, off, _("'..' is read only as position(..)"));
		return NULL;
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

static struct expr_node *parse_unary(struct parser *p)
{
	size_t off = p->pos;
	struct expr_node *nd, *operand;

	if (p->tok != T_MINUS)
		return parse_primary(p);
	if (enter(p) < 0)
		return NULL;
	lex(p);
	operand = parse_unary(p);
	if (!operand)
		return NULL;
	p->nest--;
	if (!(nd = node_new(p, N_NEG, off))) {
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
static struct expr_node *parse_level(struct parser *p, struct expr_node *(*sub)(struct parser *),
				     int (*which_op)(const struct parser *))
{
	struct expr_node *left = sub(p);

	while (left) {
		int op = which_op(p);
		size_t off = p->pos;
		struct expr_node *right;

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

static struct expr_node *parse_mul(struct parser *p)
{
	return parse_level(p, parse_unary, op_mul);
}

static struct expr_node *parse_add(struct parser *p)
{
	return parse_level(p, parse_mul, op_add);
}

static struct expr_node *parse_rel(struct parser *p)
{
	return parse_level(p, parse_add, op_rel);
}

static struct expr_node *parse_eq(struct parser *p)
{
	return parse_level(p, parse_rel, op_eq);
}

static struct expr_node *parse_and(struct parser *p)
{
	return parse_level(p, parse_eq, op_and);
}

static struct expr_node *parse_or(struct parser *p)
{
	return parse_level(p, parse_and, op_or);
}

struct expr *expr_parse(const char *src, char *err, size_t errlen)
{
	struct parser p = { 0 };
	struct expr *e;
	struct expr_node *root;
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

static int refs(const struct expr_node *nd, enum expr_ref how,
		int (*fn)(void *ctx, const char *name, enum expr_ref how), void *ctx)
{
	size_t i;
	int rc;

	if (nd->kind == N_REF)
		return fn(ctx, nd->str, how);
	if (nd->kind == N_QNAME)
		return fn(ctx, nd->str, EXPR_REF_CHOICES);
	for (i = 0; i < nd->nargs; i++) {
		enum expr_ref h = EXPR_REF_VALUE;

		/* indexed-repeat(${question}, ${repeat}, n, ${repeat}, n...) */
		if (nd->kind == N_CALL && !strcmp(nd->fn->name, "indexed-repeat") && i % 2 == 0)
			h = i == 0 ? EXPR_REF_TARGET : EXPR_REF_VALUE;
		else if (nd->kind == N_CALL && !strcmp(nd->fn->name, "indexed-repeat"))
			h = EXPR_REF_REPEAT;
		if ((rc = refs(nd->args[i], h, fn, ctx)) != 0)
			return rc;
	}
	return 0;
}

int expr_refs_how(const struct expr *e, int (*fn)(void *ctx, const char *name, enum expr_ref how), void *ctx)
{
	return e ? refs(e->root, EXPR_REF_VALUE, fn, ctx) : 0;
}

/* expr_refs' callback under expr_refs_how's. */
struct plain_refs {
	int (*fn)(void *ctx, const char *name);
	void *ctx;
};

static int plain_ref(void *ctx, const char *name, enum expr_ref how)
{
	struct plain_refs *pr = ctx;

	(void)how;
	return pr->fn(pr->ctx, name);
}

int expr_refs(const struct expr *e, int (*fn)(void *ctx, const char *name), void *ctx)
{
	struct plain_refs pr = { fn, ctx };

	return expr_refs_how(e, plain_ref, &pr);
}

int expr_volatile(const struct expr *e)
{
	return e && e->root->volatile_;
}

/* --- values and XPath's conversions --- */

void expr_val_release(struct expr_val *v)
{
	if (v->t == V_STR)
		free(v->s);
	v->s = NULL;
}

struct expr_val expr_vnum(double d)
{
	struct expr_val v = { V_NUM, d, NULL };
	return v;
}

struct expr_val expr_vbool(int b)
{
	struct expr_val v = { V_BOOL, b ? 1 : 0, NULL };
	return v;
}

int expr_oom(struct expr_ctx *c)
{
	return err_oom(c->err, c->errlen);
}

int expr_vstr(struct expr_ctx *c, char *owned, struct expr_val *out)
{
	struct expr_val v = { V_STR, 0, owned };

	if (!owned)
		return expr_oom(c);
	*out = v;
	return 0;
}

int expr_fail(struct expr_ctx *c, const struct expr_node *call, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return errf(c->err, c->errlen, "%s(): %s", call->fn->name, msg);
}

/* XPath string(number): whole numbers without a fraction, others in the shortest form that reads back. */
void expr_fmt_num(double d, char *out, size_t n)
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

/* XPath number(string): optional blanks, optional '-', digits with an optional fraction; and, as ODK extends it,
 * a date or dateTime as its days since 1970-01-01; anything else is NaN. */
double expr_str_num(const char *s)
{
	const char *p = s, *start, *end;
	int digits = 0;

	while (expr_is_space(*p))
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
	while (expr_is_space(*p))
		p++;
	if (digits && !*p)
		return strtod_c(start, (size_t)(end - start));
	/* a date begins with four digits and a '-', which no number does */
	if (end - start == 4 && *end == '-')
		return expr_time_str_days(start);
	return NAN;
}

double expr_to_num(const struct expr_val *v)
{
	return v->t == V_STR ? expr_str_num(v->s) : v->n;
}

int expr_to_bool(const struct expr_val *v)
{
	switch (v->t) {
	case V_STR: return v->s[0] != '\0';
	case V_NUM: return v->n != 0 && !isnan(v->n);
	default: return v->n != 0;
	}
}

char *expr_to_str(const struct expr_val *v)
{
	char num[64];

	switch (v->t) {
	case V_STR: return mem_strdup(v->s);
	case V_BOOL: return mem_strdup(v->n ? "true" : "false");
	default:
		expr_fmt_num(v->n, num, sizeof num);
		return mem_strdup(num);
	}
}

/* An answer as XPath sees it: unanswered is "", a select_multiple array its names joined by spaces, an attachment
 * its file's name (as ODK gives it). */
int expr_from_json(struct expr_ctx *c, const json_t *j, struct expr_val *out)
{
	char num[64];

	if (!j)
		return expr_vstr(c, mem_strdup(""), out);
	switch (json_typeof(j)) {
	case JSON_STRING: return expr_vstr(c, mem_strndup(json_string_value(j), json_string_length(j)), out);
	case JSON_INTEGER: *out = expr_vnum((double)json_integer_value(j)); return 0;
	case JSON_REAL: *out = expr_vnum(json_real_value(j)); return 0;
	case JSON_TRUE: *out = expr_vbool(1); return 0;
	case JSON_FALSE: *out = expr_vbool(0); return 0;
	case JSON_ARRAY: {
		size_t i, len = 0, at = 0;
		const json_t *x;
		char *s;

		json_array_foreach(j, i, x)
			len += (json_is_string(x) ? json_string_length(x) : sizeof num) + 1;
		if (!(s = mem_alloc(len + 1)))
			return expr_oom(c);
		json_array_foreach(j, i, x) {
			const char *part = num;

			if (json_is_string(x))
				part = json_string_value(x);
			else if (json_is_number(x))
				expr_fmt_num(json_number_value(x), num, sizeof num);
			else
				continue;
			if (at)
				s[at++] = ' ';
			memcpy(s + at, part, strlen(part));
			at += strlen(part);
		}
		s[at] = '\0';
		return expr_vstr(c, s, out);
	}
	case JSON_OBJECT: {
		const json_t *name = json_object_get(j, "name");

		return expr_vstr(c, mem_strdup(json_is_string(name) ? json_string_value(name) : ""), out);
	}
	default:
		return expr_vstr(c, mem_strdup(""), out);
	}
}

/* XPath equality and ODK ordering: booleans compare as booleans for = and !=, a number on either side makes it
 * numeric (NaN is unequal to everything), two strings compare exactly for = and !=, and for < <= > >= as
 * numbers when both read as numbers (dates as their days), else byte by byte. */
static int compare(int op, const struct expr_val *a, const struct expr_val *b)
{
	double x, y;
	int c;

	if ((op == OP_EQ || op == OP_NE) && (a->t == V_BOOL || b->t == V_BOOL)) {
		c = expr_to_bool(a) == expr_to_bool(b);
		return op == OP_EQ ? c : !c;
	}
	if (a->t == V_STR && b->t == V_STR) {
		if (op == OP_EQ)
			return strcmp(a->s, b->s) == 0;
		if (op == OP_NE)
			return strcmp(a->s, b->s) != 0;
		x = expr_str_num(a->s);
		y = expr_str_num(b->s);
		if (isnan(x) || isnan(y)) {
			c = strcmp(a->s, b->s);
			x = c;
			y = 0;
		}
	} else {
		x = expr_to_num(a);
		y = expr_to_num(b);
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

/* --- ${name} and the answers it stands for --- */

/* expr_each's go-between: each answer env->each gives, as a value, to the caller's fn. */
struct each_ctx {
	struct expr_ctx *c;
	int (*fn)(void *fctx, struct expr_ctx *c, const struct expr_val *v);
	void *fctx;
	int r;                /* what fn returned last (non-zero: stopped) */
};

static int each_one(void *ctx, const json_t *j)
{
	struct each_ctx *ec = ctx;
	struct expr_val v;

	if ((ec->r = expr_from_json(ec->c, j, &v)) < 0)
		return 1;
	ec->r = ec->fn(ec->fctx, ec->c, &v);
	expr_val_release(&v);
	return ec->r != 0;
}

/* ${name} as one answer: answers[name]. */
static int ref_single(const struct expr_node *nd, struct expr_ctx *c, struct expr_val *out)
{
	const json_t *a = c->env->answers;

	return expr_from_json(c, a && json_is_object(a) ? json_object_get(a, nd->str) : NULL, out);
}

int expr_each(const struct expr_node *arg, struct expr_ctx *c,
	      int (*fn)(void *fctx, struct expr_ctx *c, const struct expr_val *v), void *fctx)
{
	const struct expr_env *env = c->env;
	struct expr_val v;
	int r;

	if (arg->kind == N_REF && env->each) {
		struct each_ctx ec = { c, fn, fctx, 0 };

		if (env->each(env->ctx, arg->str, each_one, &ec))
			return ec.r;
		r = ref_single(arg, c, &v);
	} else {
		r = expr_node_eval(arg, c, &v);
	}
	if (r < 0)
		return r;
	r = fn(fctx, c, &v);
	expr_val_release(&v);
	return r;
}

/* expr_each's fn for a single value: the first of a set (a set used where one value is wanted, as XPath does). */
struct first {
	struct expr_val v;
	int set;
};

static int take_first(void *fctx, struct expr_ctx *c, const struct expr_val *v)
{
	struct first *f = fctx;

	f->set = 1;
	if (v->t != V_STR) {
		f->v = *v;
		return 1;
	}
	return expr_vstr(c, mem_strdup(v->s), &f->v) < 0 ? ERR_OOM : 1;
}

/* ${name}: its answer, or the first of those it stands for ("" for none). */
static int eval_ref(const struct expr_node *nd, struct expr_ctx *c, struct expr_val *out)
{
	const struct expr_env *env = c->env;
	struct first f = { { V_STR, 0, NULL }, 0 };
	struct each_ctx ec = { c, take_first, &f, 0 };

	if (!env->each || !env->each(env->ctx, nd->str, each_one, &ec))
		return ref_single(nd, c, out);
	if (ec.r < 0)
		return ec.r;
	if (f.set) {
		*out = f.v;
		return 0;
	}
	return expr_vstr(c, mem_strdup(""), out);
}

/* --- evaluation --- */

int expr_arg_str(const struct expr_node *call, size_t i, struct expr_ctx *c, char **out)
{
	struct expr_val v;
	int r;

	if ((r = expr_node_eval(call->args[i], c, &v)) < 0)
		return r;
	*out = v.t == V_STR ? v.s : expr_to_str(&v);
	if (v.t != V_STR)
		expr_val_release(&v);
	return *out ? 0 : expr_oom(c);
}

int expr_arg_num(const struct expr_node *call, size_t i, struct expr_ctx *c, double *out)
{
	struct expr_val v;
	int r;

	if ((r = expr_node_eval(call->args[i], c, &v)) < 0)
		return r;
	*out = expr_to_num(&v);
	expr_val_release(&v);
	return 0;
}

static int eval_binary(const struct expr_node *nd, struct expr_ctx *c, struct expr_val *out)
{
	struct expr_val a, b;
	double x, y;
	int r;

	if ((r = expr_node_eval(nd->args[0], c, &a)) < 0)
		return r;
	if (nd->op == OP_OR || nd->op == OP_AND) {
		int l = expr_to_bool(&a);

		expr_val_release(&a);
		/* short-circuit, as XPath does: the right side may be an error only when it matters */
		if (nd->op == OP_OR ? l : !l) {
			*out = expr_vbool(l);
			return 0;
		}
		if ((r = expr_node_eval(nd->args[1], c, &b)) < 0)
			return r;
		*out = expr_vbool(expr_to_bool(&b));
		expr_val_release(&b);
		return 0;
	}
	if ((r = expr_node_eval(nd->args[1], c, &b)) < 0) {
		expr_val_release(&a);
		return r;
	}
	switch (nd->op) {
	case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE:
		*out = expr_vbool(compare(nd->op, &a, &b));
		break;
	default:
		x = expr_to_num(&a);
		y = expr_to_num(&b);
		switch (nd->op) {
		case OP_ADD: *out = expr_vnum(x + y); break;
		case OP_SUB: *out = expr_vnum(x - y); break;
		case OP_MUL: *out = expr_vnum(x * y); break;
		case OP_DIV: *out = expr_vnum(x / y); break;
		default: *out = expr_vnum(fmod(x, y)); break;
		}
	}
	expr_val_release(&a);
	expr_val_release(&b);
	return 0;
}

int expr_node_eval(const struct expr_node *nd, struct expr_ctx *c, struct expr_val *out)
{
	struct expr_val a;
	int r;

	switch (nd->kind) {
	case N_NUM:
		*out = expr_vnum(nd->num);
		return 0;
	case N_STR:
		return expr_vstr(c, mem_strdup(nd->str), out);
	case N_QNAME:
		/* the question itself, which only jr:choice-name() reads as such */
		return expr_vstr(c, mem_strdup(nd->str), out);
	case N_REF:
		return eval_ref(nd, c, out);
	case N_SELF:
		return expr_from_json(c, c->env->self, out);
	case N_PARENT:
		*out = expr_vnum(c->env->position > 0 ? (double)c->env->position : NAN);
		return 0;
	case N_NEG:
		if ((r = expr_node_eval(nd->args[0], c, &a)) < 0)
			return r;
		*out = expr_vnum(-expr_to_num(&a));
		expr_val_release(&a);
		return 0;
	case N_CALL:
		return nd->fn->eval(nd, c, out);
	case N_BIN:
		break;
	}
	return eval_binary(nd, c, out);
}

/* Numbers come back as JSON integers when whole (so a default fits an integer question), as reals otherwise;
 * NaN and the infinities, which JSON cannot hold, come back as their XPath strings. */
int expr_eval_in(const struct expr *e, const struct expr_env *env, json_t **out, char *err, size_t errlen)
{
	struct expr_ctx c = { env, err, errlen };
	struct expr_val v;
	char num[64];
	int r;

	*out = NULL;
	if ((r = expr_node_eval(e->root, &c, &v)) < 0)
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
			expr_fmt_num(v.n, num, sizeof num);
			*out = json_string(num);
		}
		break;
	default:
		*out = json_string(v.s);
		break;
	}
	/* Only a string that is not UTF-8 cannot be represented; anything else failed for want of memory. */
	r = *out || (v.t == V_STR && !utf8_valid(v.s, strlen(v.s), NULL)) ? 0 : ERR_OOM;
	expr_val_release(&v);
	if (r)
		return err_oom(err, errlen);
	if (!*out)
		return errf(err, errlen, _("the result cannot be represented in JSON"));
	return 0;
}

int expr_eval_bool_in(const struct expr *e, const struct expr_env *env, int *out, char *err, size_t errlen)
{
	struct expr_ctx c = { env, err, errlen };
	struct expr_val v;
	int r;

	*out = 0;
	if ((r = expr_node_eval(e->root, &c, &v)) < 0)
		return r;
	*out = expr_to_bool(&v);
	expr_val_release(&v);
	return 0;
}

int expr_eval(const struct expr *e, const json_t *answers, const json_t *self, json_t **out, char *err,
	      size_t errlen)
{
	struct expr_env env = { 0 };

	env.answers = answers;
	env.self = self;
	return expr_eval_in(e, &env, out, err, errlen);
}

int expr_eval_bool(const struct expr *e, const json_t *answers, const json_t *self, int *out, char *err,
		   size_t errlen)
{
	struct expr_env env = { 0 };

	env.answers = answers;
	env.self = self;
	return expr_eval_bool_in(e, &env, out, err, errlen);
}
