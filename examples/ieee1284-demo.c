/*
 * ieee1284-demo - an example libieee1284 client, for trying the simulator
 *
 * Run under parclass-sim (README, "Trying the virtual printer"): lists the
 * ports, reads each printer's device ID (cached and fresh), then prints a
 * short PJL job to the first port in ECP mode (compatibility mode where ECP
 * is missing) and shows what the printer answered on the reverse channel.
 * It uses libieee1284 alone, neither libparclass nor the simulator's code,
 * as any program that drives a real port would; not installed.
 */
#include "config.h"

#include <errno.h>
#include <ieee1284.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define UEL "\033%-12345X"

static const char job[] =
	UEL "@PJL USTATUS JOB=ON\r\n"
	"@PJL USTATUS PAGE=ON\r\n"
	"@PJL JOB NAME=\"parclass demo\"\r\n"
	"@PJL INFO STATUS\r\n"
	"@PJL ENTER LANGUAGE=PCL\r\n"
	"\033EHello from parclass-sim's demo client.\r\nThis is page one.\f"
	"And page two.\f"
	UEL "@PJL EOJ NAME=\"parclass demo\"\r\n" UEL;

static void print_visible(const char *prefix, const char *buf, size_t n)
{
	fputs(prefix, stdout);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\n') {
			fputs("\\n\n", stdout);
			if (i + 1 < n)
				fputs(prefix, stdout);
		} else if (c == '\r') {
			fputs("\\r", stdout);
		} else if (c == '\f') {
			fputs("\\f", stdout);
		} else if (c < 0x20 || c > 0x7e) {
			printf("\\x%02x", c);
		} else {
			putchar(c);
		}
	}
	if (n && buf[n - 1] != '\n')
		putchar('\n');
}

static int read_back(struct parport *p, int mode, char *buf, size_t len)
{
	size_t got = 0;
	int idle = 0;

	/* Poll without blocking until the printer has been quiet for a while. */
	while (got < len && idle < 20) {
		ssize_t n = mode == M1284_ECP ? ieee1284_ecp_read_data(p, F1284_NONBLOCK, buf + got, len - got)
					      : ieee1284_nibble_read(p, F1284_NONBLOCK, buf + got, len - got);

		if (n > 0) {
			got += (size_t)n;
			idle = 0;
		} else {
			idle++;
			usleep(10000);
		}
	}
	return (int)got;
}

int main(void)
{
	struct parport_list list;
	struct parport *p;
	struct timeval timeout = { 2, 0 };
	char buf[4096];
	int caps, mode, r;
	ssize_t n;

	if (ieee1284_find_ports(&list, 0) != E1284_OK || list.portc == 0) {
		fprintf(stderr, "ieee1284-demo: no parallel ports (run me under parclass-sim)\n");
		return 1;
	}
	printf("Ports:\n");
	for (int i = 0; i < list.portc; i++) {
		printf("  %s (%s)\n", list.portv[i]->name, list.portv[i]->filename);
		n = ieee1284_get_deviceid(list.portv[i], -1, 0, buf, sizeof buf - 1);
		if (n > 0) {
			buf[n + 2 < (ssize_t)sizeof buf ? n + 2 : (ssize_t)sizeof buf - 1] = '\0';
			print_visible("    cached ID: ", buf + 2, strlen(buf + 2));
		}
		n = ieee1284_get_deviceid(list.portv[i], -1, F1284_FRESH, buf, sizeof buf - 1);
		if (n > 2)
			print_visible("    fresh ID:  ", buf + 2, (size_t)n - 2);
		else
			printf("    fresh ID:  none (%zd)\n", n);
	}

	p = list.portv[0];
	if (ieee1284_open(p, 0, &caps) != E1284_OK || ieee1284_claim(p) != E1284_OK) {
		fprintf(stderr, "ieee1284-demo: cannot open %s\n", p->name);
		ieee1284_free_ports(&list);
		return 1;
	}
	ieee1284_set_timeout(p, &timeout);
	mode = (caps & CAP1284_ECP) && ieee1284_negotiate(p, M1284_ECP) == E1284_OK ? M1284_ECP : M1284_COMPAT;
	printf("\nPrinting a %zu-byte PJL job to %s in %s mode\n", sizeof job - 1, p->name,
	       mode == M1284_ECP ? "ECP" : "compatibility");
	r = mode == M1284_ECP ? ieee1284_ecp_write_data(p, 0, job, sizeof job - 1)
			      : ieee1284_compat_write(p, 0, job, sizeof job - 1);
	printf("  sent %d bytes\n", r);

	if (mode == M1284_ECP) {
		ieee1284_ecp_fwd_to_rev(p);
	} else {
		ieee1284_negotiate(p, M1284_NIBBLE);
	}
	n = read_back(p, mode, buf, sizeof buf);
	printf("\nThe printer said back (%zd bytes, %s reverse):\n", n, mode == M1284_ECP ? "ECP" : "nibble");
	if (n > 0)
		print_visible("  | ", buf, (size_t)n);
	if (mode == M1284_ECP)
		ieee1284_ecp_rev_to_fwd(p);
	ieee1284_terminate(p);
	ieee1284_release(p);
	ieee1284_close(p);
	ieee1284_free_ports(&list);
	return r == (int)sizeof job - 1 ? 0 : 1;
}
