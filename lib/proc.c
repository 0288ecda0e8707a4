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
	char path[96];
	char *text, *irq;
	unsigned m;
	bool has_irq;

	snprintf(path, sizeof path, PROC_PARPORT "/parport%d/modes", number);
	text = read_small(path);
	if (!text)
		return PARCLASS_MODE_CENTRONICS;
	snprintf(path, sizeof path, PROC_PARPORT "/parport%d/irq", number);
	irq = read_small(path);
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
	char path[96];
	char *text;
	bool busy;

	snprintf(path, sizeof path, PROC_PARPORT "/parport%d/devices/active", number);
	text = read_small(path);
	busy = text && strncmp(text, "none", 4) != 0;
	free(text);
	return busy;
}

/* The kernel's cached form, "CLASS:x;\nMODEL:y;\n", as one line of ID text. */
char *pc_proc_autoprobe(int number, int address)
{
	char path[96];
	char *text, *out, *o;

	if (address == PARCLASS_ADDRESS_END)
		snprintf(path, sizeof path, PROC_PARPORT "/parport%d/autoprobe", number);
	else
		snprintf(path, sizeof path, PROC_PARPORT "/parport%d/autoprobe%d", number, address);
	text = read_small(path);
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
	char path[96], *text;
	int n;

	snprintf(path, sizeof path, PROC_PARPORT "/parport%d/base-addr", number);
	text = read_small(path);
	n = text ? sscanf(text, "%lu %lu", base, base_hi) : 0;
	free(text);
	if (n != 2)
		return -ENODEV;
	snprintf(path, sizeof path, PROC_PARPORT "/parport%d/irq", number);
	text = read_small(path);
	n = text ? sscanf(text, "%d", irq) : 0;
	free(text);
	if (n != 1)
		return -ENODEV;
	snprintf(path, sizeof path, PROC_PARPORT "/parport%d/dma", number);
	text = read_small(path);
	n = text ? sscanf(text, "%d", dma) : 0;
	free(text);
	return n == 1 ? 0 : -ENODEV;
}
