/* Just enough JSON to read a CCDT (MQ-BEHAVIOUR §1.4): a tree of values; numbers as doubles,
 * strings with their escapes decoded to UTF-8. */
#include "mqlib.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
  const char *p, *end;
  int depth;
} parser_t;

static json_t *parse_value(parser_t *s);

static void skip_ws(parser_t *s) {
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

static json_t *node(int type) {
  json_t *j = calloc(1, sizeof *j);
  if (j) j->type = type;
  return j;
}

static void put_utf8(char *out, size_t *n, unsigned cp) {
  if (cp < 0x80) {
    out[(*n)++] = (char)cp;
  } else if (cp < 0x800) {
    out[(*n)++] = (char)(0xC0 | (cp >> 6));
    out[(*n)++] = (char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out[(*n)++] = (char)(0xE0 | (cp >> 12));
    out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[(*n)++] = (char)(0x80 | (cp & 0x3F));
  } else {
    out[(*n)++] = (char)(0xF0 | (cp >> 18));
    out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[(*n)++] = (char)(0x80 | (cp & 0x3F));
  }
}

static int hex4(parser_t *s, unsigned *v) {
  if (s->end - s->p < 4) return -1;
  *v = 0;
  for (int i = 0; i < 4; i++) {
    char ch = *s->p++;
    *v <<= 4;
    if (ch >= '0' && ch <= '9') *v |= (unsigned)(ch - '0');
    else if (ch >= 'a' && ch <= 'f') *v |= (unsigned)(ch - 'a' + 10);
    else if (ch >= 'A' && ch <= 'F') *v |= (unsigned)(ch - 'A' + 10);
    else return -1;
  }
  return 0;
}

/* A string after its opening quote; every escape is no longer than what it decodes to, so the
 * raw length bounds the output. */
static char *parse_string(parser_t *s) {
  const char *start = s->p;
  while (s->p < s->end && *s->p != '"') s->p += *s->p == '\\' ? 2 : 1;
  if (s->p >= s->end) return NULL;
  size_t raw = (size_t)(s->p - start);
  char *out = malloc(raw + 1);
  if (!out) return NULL;
  s->p = start;
  size_t n = 0;
  while (*s->p != '"') {
    char ch = *s->p++;
    if (ch != '\\') {
      out[n++] = ch;
      continue;
    }
    ch = *s->p++;
    unsigned cp;
    switch (ch) {
      case 'b': out[n++] = '\b'; break;
      case 'f': out[n++] = '\f'; break;
      case 'n': out[n++] = '\n'; break;
      case 'r': out[n++] = '\r'; break;
      case 't': out[n++] = '\t'; break;
      case 'u':
        if (hex4(s, &cp) != 0) {
          free(out);
          return NULL;
        }
        if (cp >= 0xD800 && cp < 0xDC00 && s->end - s->p >= 6 && s->p[0] == '\\' && s->p[1] == 'u') {
          unsigned lo;
          s->p += 2;
          if (hex4(s, &lo) != 0) {
            free(out);
            return NULL;
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        put_utf8(out, &n, cp);
        break;
      default: out[n++] = ch; break;
    }
  }
  s->p++;
  out[n] = '\0';
  return out;
}

static json_t *parse_container(parser_t *s, int type, char close) {
  json_t *j = node(type);
  if (!j) return NULL;
  json_t **tail = &j->child;
  skip_ws(s);
  if (s->p < s->end && *s->p == close) {
    s->p++;
    return j;
  }
  for (;;) {
    char *key = NULL;
    if (type == JSON_OBJECT) {
      skip_ws(s);
      if (s->p >= s->end || *s->p != '"') break;
      s->p++;
      key = parse_string(s);
      skip_ws(s);
      if (!key || s->p >= s->end || *s->p != ':') {
        free(key);
        break;
      }
      s->p++;
    }
    json_t *v = parse_value(s);
    if (!v) {
      free(key);
      break;
    }
    v->key = key;
    *tail = v;
    tail = &v->next;
    skip_ws(s);
    if (s->p < s->end && *s->p == ',') {
      s->p++;
      continue;
    }
    if (s->p < s->end && *s->p == close) {
      s->p++;
      return j;
    }
    break;
  }
  json_free(j);
  return NULL;
}

static json_t *parse_literal(parser_t *s, const char *word, int type, double value) {
  size_t n = strlen(word);
  if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0) return NULL;
  s->p += n;
  json_t *j = node(type);
  if (j) j->number = value;
  return j;
}

static json_t *parse_value(parser_t *s) {
  skip_ws(s);
  if (s->p >= s->end || ++s->depth > 64) return NULL;
  json_t *j = NULL;
  char ch = *s->p;
  if (ch == '{' || ch == '[') {
    s->p++;
    j = parse_container(s, ch == '{' ? JSON_OBJECT : JSON_ARRAY, ch == '{' ? '}' : ']');
  } else if (ch == '"') {
    s->p++;
    char *str = parse_string(s);
    if (str && (j = node(JSON_STRING))) j->string = str;
    else free(str);
  } else if (ch == 't') {
    j = parse_literal(s, "true", JSON_BOOL, 1);
  } else if (ch == 'f') {
    j = parse_literal(s, "false", JSON_BOOL, 0);
  } else if (ch == 'n') {
    j = parse_literal(s, "null", JSON_NULL, 0);
  } else {
    char tmp[64];
    size_t n = 0;
    while (s->p + n < s->end && n < sizeof tmp - 1 && strchr("+-0123456789.eE", s->p[n])) n++;
    if (n > 0) {
      memcpy(tmp, s->p, n);
      tmp[n] = '\0';
      char *endp;
      double v = strtod(tmp, &endp);
      if ((size_t)(endp - tmp) == n && (j = node(JSON_NUMBER))) {
        j->number = v;
        s->p += n;
      }
    }
  }
  s->depth--;
  return j;
}

json_t *json_parse(const char *text, size_t n) {
  parser_t s = {text, text + n, 0};
  json_t *j = parse_value(&s);
  skip_ws(&s);
  if (j && s.p != s.end) {
    json_free(j);
    return NULL;
  }
  return j;
}

void json_free(json_t *j) {
  while (j) {
    json_t *next = j->next;
    json_free(j->child);
    free(j->string);
    free(j->key);
    free(j);
    j = next;
  }
}

const json_t *json_get(const json_t *object, const char *key) {
  if (!object || object->type != JSON_OBJECT) return NULL;
  for (const json_t *m = object->child; m; m = m->next)
    if (m->key && strcmp(m->key, key) == 0) return m;
  return NULL;
}
