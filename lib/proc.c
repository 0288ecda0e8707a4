/*
 * proc.c - what the kernel tells about its ports: /proc/sys/dev/parport
 *
 * Reading these files never touches a port, so enumeration can describe a
 * port that another process holds.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parclass-private.h"

#define PROC_PARPORT "/proc/sys/dev/parport"

static char *read_small(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

/* /proc/sys/dev/parport/parportN/@name, or NULL. */
static char *read_port_file(int number, const char *name)
{
	char path[128];

	snprintf(path, sizeof path, PROC_PARPORT "/parport%d/%s", number, name);
	return read_small(path);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

int pc_proc_ports(int *numbers, int max)
{
	DIR *d = opendir(PROC_PARPORT);
	struct dirent *de;
	int n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		char *end;
		long v;

		if (strncmp(de->d_name, "parport", 7))
			continue;
		v = strtol(de->d_name + 7, &end, 10);
		if (end == de->d_name + 7 || *end || v < 0 || v >= PC_MAX_PORTS)
			continue;
		numbers[n++] = (int)v;
	}
	closedir(d);
	if (n)
		qsort(numbers, (size_t)n, sizeof *numbers, cmp_int);
	return n;
}

unsigned pc_proc_port_modes(int number)
{
	char *text, *irq;
	unsigned m;
	bool has_irq;

	text = read_port_file(number, "modes");
	if (!text)
		return PARCLASS_MODE_CENTRONICS;
	irq = read_port_file(number, "irq");
	has_irq = irq && atoi(irq) >= 0;
	m = pc_port_modes_from_caps(strstr(text, "PCSPP"), strstr(text, "TRISTATE"), strstr(text, "EPP"),
				    strstr(text, "ECP"), has_irq);
	free(text);
	free(irq);
	return m;
}

bool pc_proc_port_exists(int number)
{
	int numbers[PC_MAX_PORTS];
	int n = pc_proc_ports(numbers, PC_MAX_PORTS);

	for (int i = 0; i < n; i++)
		if (numbers[i] == number)
			return true;
	return false;
}

bool pc_proc_port_busy(int number)
{
	char *text = read_port_file(number, "devices/active");
	bool busy;

	busy = text && strncmp(text, "none", 4) != 0;
	free(text);
	return busy;
}

/* The kernel's cached form, "CLASS:x;\nMODEL:y;\n", as one line of ID text. */
char *pc_proc_autoprobe(int number, int address)
{
	char name[16];
	char *text, *out, *o;

	if (address == PARCLASS_ADDRESS_END)
		snprintf(name, sizeof name, "autoprobe");
	else
		snprintf(name, sizeof name, "autoprobe%d", address);
	text = read_port_file(number, name);
	if (!text || !*text) {
		free(text);
		return NULL;
	}
	out = o = text;
	for (char *p = text; *p; p++)
		if (*p != '\n' && *p != '\r')
			*o++ = *p;
	*o = '\0';
	if (!*out) {
		free(out);
		return NULL;
	}
	return out;
}

int pc_proc_port_resources(int number, unsigned long *base, unsigned long *base_hi, int *irq, int *dma)
{
	char *base_text = read_port_file(number, "base-addr");
	char *irq_text = read_port_file(number, "irq");
	char *dma_text = read_port_file(number, "dma");
	bool ok = base_text && irq_text && dma_text && sscanf(base_text, "%lu %lu", base, base_hi) == 2 &&
		  sscanf(irq_text, "%d", irq) == 1 && sscanf(dma_text, "%d", dma) == 1;

	free(base_text);
	free(irq_text);
	free(dma_text);
	return ok ? 0 : -ENODEV;
}
