// SPDX-License-Identifier: GPL-2.0-or-later
/* es-yaml.c - parse YAML files with libyaml, for the tests of contrib/
 *
 *	es-yaml FILE			prints "documents N", or the error as
 *					FILE:LINE:COL: problem (exit 1)
 *	es-yaml FILE DOC KEY...		prints the scalar at that path of
 *					document DOC (0-based): mapping keys,
 *					or indexes into sequences (exit 1 if
 *					there is none)
 *
 * libyaml is a build dependency already, so the manifests are checked
 * without PyYAML.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static yaml_node_t *child(yaml_document_t *d, yaml_node_t *n, const char *k)
{
	yaml_node_pair_t *p;
	yaml_node_item_t *it;
	char *end;
	long i;

	if (n->type == YAML_MAPPING_NODE) {
		for (p = n->data.mapping.pairs.start;
		     p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *key = yaml_document_get_node(d, p->key);

			if (key && key->type == YAML_SCALAR_NODE &&
			    !strcmp((char *)key->data.scalar.value, k))
				return yaml_document_get_node(d, p->value);
		}
		return NULL;
	}
	if (n->type == YAML_SEQUENCE_NODE) {
		i = strtol(k, &end, 10);
		if (*end || i < 0)
			return NULL;
		it = n->data.sequence.items.start + i;
		if (it >= n->data.sequence.items.top)
			return NULL;
		return yaml_document_get_node(d, *it);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	long want = argc > 2 ? atol(argv[2]) : -1;
	int n = 0, ret = 1, i;
	FILE *f;

	if (argc < 2 || argc == 3) {
		fprintf(stderr, "usage: es-yaml FILE [DOC KEY...]\n");
		return 2;
	}
	f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	for (;;) {
		yaml_node_t *node;

		if (!yaml_parser_load(&parser, &doc)) {
			printf("%s:%zu:%zu: %s\n", argv[1],
			       parser.problem_mark.line + 1,
			       parser.problem_mark.column + 1,
			       parser.problem ? parser.problem : "error");
			goto out;
		}
		node = yaml_document_get_root_node(&doc);
		if (!node) {
			yaml_document_delete(&doc);
			break;
		}
		if (n == want) {
			for (i = 3; node && i < argc; i++)
				node = child(&doc, node, argv[i]);
			if (!node || node->type != YAML_SCALAR_NODE) {
				yaml_document_delete(&doc);
				goto out;
			}
			fwrite(node->data.scalar.value, 1,
			       node->data.scalar.length, stdout);
			ret = 0;
		}
		yaml_document_delete(&doc);
		n++;
	}
	if (want < 0) {
		printf("documents %d\n", n);
		ret = n > 0 ? 0 : 1;
	}
out:
	yaml_parser_delete(&parser);
	fclose(f);
	return ret;
}
