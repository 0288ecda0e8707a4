/*
 * test-peripheral.c - the simulated printer answers IEEE 1284 handshakes
 * that a client runs itself on the lines
 *
 * Each test opens the emulated /dev/parport0 with plain ppdev calls, claims
 * it and moves the control and data lines one IEEE 1284 event at a time
 * (the order the kernel's software implementation uses), polling the status
 * lines for each answer in a loop bounded by EVENTUALLY_MS - never by a
 * sleep - and asserts the exact status at each event and the exact bytes
 * that went each way (the --record files, events.log, the data read back).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <linux/parport.h>
#include <linux/ppdev.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fixture.h"
#include "models.h"

/* Control register bits as ppdev takes them (1 = nStrobe, nAutoFd, nSelectIn low; nInit high). */
#define STROBE PARPORT_CONTROL_STROBE
#define AUTOFD PARPORT_CONTROL_AUTOFD
#define INIT PARPORT_CONTROL_INIT
#define SELECTIN PARPORT_CONTROL_SELECT

/* Status register bits (Busy reads inverted: BUSY set = Busy line low). */
#define NFAULT PARPORT_STATUS_ERROR
#define SELECT PARPORT_STATUS_SELECT
#define PERROR PARPORT_STATUS_PAPEROUT
#define NACK PARPORT_STATUS_ACK
#define BUSY PARPORT_STATUS_BUSY

#define READY 0xd8   /* compatibility idle, ready: Busy low, nAck, Select, nFault high */

#define ID "MFG:ACME;MDL:Lines 1;CMD:PJL;CLS:PRINTER;"

static const char lines_model[] =
	"[port]\nmodes=pcspp,tristate,ecp\n"
	"[device]\nid=" ID "\nmodes=compat,nibble,byte,ecp,ecprle\n";

static struct fx_sim *sim;
static int fd = -1;

static void teardown(void)
{
	if (fd >= 0)
		close(fd);
	fd = -1;
	fx_free(sim);
	sim = NULL;
}

TestSuite(peripheral, .fini = teardown);

static void claim(void)
{
	fd = open("/dev/parport0", O_RDWR);
	cr_assert_geq(fd, 0, "open /dev/parport0");
	cr_assert_eq(ioctl(fd, PPCLAIM), 0, "PPCLAIM");
}

static void release(void)
{
	cr_assert_eq(ioctl(fd, PPRELEASE), 0, "PPRELEASE");
}

static uint8_t status(void)
{
	unsigned char s;

	cr_assert_eq(ioctl(fd, PPRSTATUS, &s), 0, "PPRSTATUS");
	return s;
}

static void frob(unsigned char mask, unsigned char val)
{
	struct ppdev_frob_struct f = { mask, val };

	cr_assert_eq(ioctl(fd, PPFCONTROL, &f), 0, "PPFCONTROL");
}

static void put_data(unsigned char v)
{
	cr_assert_eq(ioctl(fd, PPWDATA, &v), 0, "PPWDATA");
}

static unsigned char get_data(void)
{
	unsigned char v;

	cr_assert_eq(ioctl(fd, PPRDATA, &v), 0, "PPRDATA");
	return v;
}

static void data_dir(int reverse)
{
	cr_assert_eq(ioctl(fd, PPDATADIR, &reverse), 0, "PPDATADIR");
}

/* Poll until (status & @mask) == @val; the status then. Fails the test at EVENTUALLY_MS. */
static uint8_t await(uint8_t mask, uint8_t val, const char *event)
{
	long long end = now_ms() + EVENTUALLY_MS;
	uint8_t s;

	while (((s = status()) & mask) != val)
		cr_assert_lt(now_ms(), end, "%s did not happen (status 0x%02x)", event, s);
	return s;
}

/* Events 0-6 as parport_negotiate() runs them; the status once nAck is high again (event 6). */
static uint8_t negotiate(unsigned char xbyte)
{
	frob(STROBE | AUTOFD | SELECTIN, SELECTIN);
	data_dir(0);
	put_data(xbyte);                                  /* event 0 */
	frob(SELECTIN | AUTOFD, AUTOFD);                  /* event 1 */
	cr_assert_eq(await(NFAULT | SELECT | PERROR | NACK, NFAULT | SELECT | PERROR, "event 2"),
		     BUSY | PERROR | SELECT | NFAULT, "event 2: PError, Select, nFault high, nAck low");
	frob(STROBE, STROBE);                             /* event 3 */
	frob(STROBE | AUTOFD, 0);                         /* event 4 */
	return await(NACK, NACK, "event 6");
}

/* Events 22-28 from nibble, byte or ECP forward mode. */
static void terminate(void)
{
	frob(SELECTIN | AUTOFD, SELECTIN);                /* event 22 */
	cr_assert_eq(await(NACK, 0, "event 24"), READY & ~NACK, "event 24: nAck low");
	frob(AUTOFD, AUTOFD);                             /* event 25 */
	cr_assert_eq(await(NACK, NACK, "event 27"), READY, "event 27: compatibility status, nAck high");
	frob(AUTOFD, 0);                                  /* event 28 */
	cr_assert_eq(status(), READY);
}

/* Events 7-11, twice: one byte in nibble mode, low nibble first. */
static unsigned char nibble_byte(void)
{
	unsigned char byte = 0;

	for (int i = 0; i < 2; i++) {
		uint8_t s, n;

		frob(AUTOFD, AUTOFD);                     /* event 7: HostBusy low */
		s = await(NACK, 0, "event 9");            /* events 8, 9: nibble, then nAck low */
		n = (uint8_t)(((s >> 3) & 0x07) | (s & BUSY ? 0 : 0x08));
		byte |= (unsigned char)(n << (4 * i));
		frob(AUTOFD, 0);                          /* event 10 */
		await(NACK, NACK, "event 11");
	}
	return byte;
}

/* Nibble-mode bytes until nDataAvail (nFault) goes high, at most @n. */
static size_t nibble_read(unsigned char *buf, size_t n)
{
	size_t got = 0;

	while (got < n && !(status() & NFAULT))
		buf[got++] = nibble_byte();
	return got;
}

/* The raw device ID: two big-endian length bytes that count themselves, then the text. */
static size_t raw_id(unsigned char *buf, const char *id)
{
	size_t len = strlen(id) + 2;

	buf[0] = (unsigned char)(len >> 8);
	buf[1] = (unsigned char)len;
	memcpy(buf + 2, id, len - 2);
	return len;
}

/* ---- (a) negotiation and nibble mode ---- */

Test(peripheral, nibble_device_id_request_answers_each_event_and_sends_the_raw_id)
{
	unsigned char expect[128], got[256];
	size_t n = raw_id(expect, ID), len;

	sim = fx_start1(lines_model);
	claim();
	cr_assert_eq(status(), READY);
	/* XFlag high (the request is not plain nibble), nDataAvail low, AckDataReq high. */
	cr_assert_eq(negotiate(0x04), NACK | SELECT | PERROR, "event 6");
	len = nibble_read(got, sizeof got);
	cr_assert_eq(len, n, "%zu bytes of ID, expected %zu", len, n);
	cr_assert(memcmp(got, expect, n) == 0, "the ID differs: %.*s", (int)(len > 2 ? len - 2 : 0), got + 2);
	/* No more data: nDataAvail high, AckDataReq low. */
	cr_assert_eq(status(), NACK | SELECT | NFAULT);
	/* The host goes to reverse idle (HostBusy low): no nAck without data. */
	frob(AUTOFD, AUTOFD);
	cr_assert_eq(status(), NACK | SELECT | NFAULT);
	terminate();
	release();
	fx_assert_events(sim, "parport0 claim pid=PID\n"
		      "parport0 negotiate nibble+deviceid accepted\n"
		      "parport0 terminate\n"
		      "parport0 release pid=PID\n");
}

Test(peripheral, nibble_mode_sends_the_reverse_data_and_xflag_is_low)
{
	static const char model[] =
		"[device]\nid=MFG:A;\nmodes=compat,nibble\nreverse-data=\\x00\\xff\\x5aOK\\x0c\n";
	static const unsigned char expect[] = { 0x00, 0xff, 0x5a, 'O', 'K', 0x0c };
	unsigned char got[16];

	sim = fx_start1(model);
	claim();
	cr_assert_eq(negotiate(0x00), NACK | PERROR, "event 6: XFlag low for nibble mode, data available");
	cr_assert_eq(nibble_read(got, sizeof got), sizeof expect);
	cr_assert(memcmp(got, expect, sizeof expect) == 0);
	cr_assert_eq(status(), NACK | NFAULT);
	terminate();
}

Test(peripheral, a_mode_the_model_does_not_accept_is_rejected_with_xflag_low)
{
	static const char model[] = "[device]\nid=MFG:A;\nmodes=compat,nibble\n";

	sim = fx_start1(model);
	claim();
	cr_assert_eq(negotiate(0x10), BUSY | NACK | NFAULT, "ECP: XFlag low");
	terminate();
	cr_assert_eq(negotiate(0x01), BUSY | NACK | NFAULT, "byte mode: XFlag low");
	terminate();
	cr_assert_eq(negotiate(0x34), BUSY | NACK | NFAULT, "ECP with RLE and the ID: XFlag low");
	terminate();
	cr_assert_eq(negotiate(0x04), NACK | SELECT | PERROR, "the ID in nibble mode is accepted");
	terminate();
	release();
	fx_assert_events(sim, "parport0 claim pid=PID\n"
		      "parport0 negotiate ecp rejected\n"
		      "parport0 terminate\n"
		      "parport0 negotiate byte rejected\n"
		      "parport0 terminate\n"
		      "parport0 negotiate ecprle+deviceid rejected\n"
		      "parport0 terminate\n"
		      "parport0 negotiate nibble+deviceid accepted\n"
		      "parport0 terminate\n"
		      "parport0 release pid=PID\n");
}

Test(peripheral, a_device_without_an_id_rejects_the_id_request)
{
	static const char model[] = "[device]\nmodes=compat,nibble\n";

	sim = fx_start1(model);
	claim();
	/* XFlag low: accepting the ID request would show it high. */
	cr_assert_eq(negotiate(0x04), BUSY | NACK | NFAULT, "the ID request is rejected");
	terminate();
	cr_assert_eq(negotiate(0x00), NACK | NFAULT, "plain nibble mode, no data");
	terminate();
}

Test(peripheral, a_centronics_printer_leaves_event_1_unanswered)
{
	sim = fx_start1(centronics_model);
	claim();
	put_data(0x04);
	frob(SELECTIN | AUTOFD, AUTOFD);                  /* event 1 */
	for (int i = 0; i < 100; i++)
		cr_assert_eq(status(), READY, "no IEEE 1284 answer: the compatibility status stays");
	frob(SELECTIN | AUTOFD, SELECTIN);                /* the host gives up */
	cr_assert_eq(status(), READY);
	release();
	fx_assert_events(sim, "parport0 claim pid=PID\nparport0 release pid=PID\n");
}

Test(peripheral, a_late_printer_answers_event_2_only_after_its_delay)
{
	static const char model[] = "[device]\nid=MFG:A;\nmodes=compat,nibble\nnegotiation-delay-ms=60\n";
	long long t0;

	sim = fx_start1(model);
	claim();
	frob(STROBE | AUTOFD | SELECTIN, SELECTIN);
	put_data(0x00);
	t0 = now_ms();
	frob(SELECTIN | AUTOFD, AUTOFD);                  /* event 1 */
	await(NFAULT | SELECT | PERROR | NACK, NFAULT | SELECT | PERROR, "event 2");
	cr_assert_geq(now_ms() - t0, 60, "the answer took the model's delay");
	/* The kernel gives up after 40 ms; a host that waits longer gets the mode. */
	frob(STROBE, STROBE);
	frob(STROBE | AUTOFD, 0);
	cr_assert_eq(await(NACK, NACK, "event 6"), NACK | NFAULT);
	terminate();
}

Test(peripheral, the_kernel_and_a_line_level_client_read_the_same_id)
{
	unsigned char expect[128], kernel[256], lines[256];
	size_t n = raw_id(expect, ID), kn = 0, ln;
	int mode = IEEE1284_MODE_NIBBLE | IEEE1284_DEVICEID, compat = IEEE1284_MODE_COMPAT;

	sim = fx_start1(lines_model);
	claim();
	cr_assert_eq(ioctl(fd, PPNEGOT, &mode), 0, "PPNEGOT nibble+deviceid");
	for (;;) {
		ssize_t r = read(fd, kernel + kn, sizeof kernel - kn);

		cr_assert_geq(r, 0, "read");
		if (r == 0 || (kn += (size_t)r) >= n)
			break;
	}
	cr_assert_eq(ioctl(fd, PPNEGOT, &compat), 0);

	cr_assert_eq(negotiate(0x04), NACK | SELECT | PERROR);
	ln = nibble_read(lines, sizeof lines);
	terminate();

	cr_assert_eq(kn, n);
	cr_assert_eq(ln, n);
	cr_assert(memcmp(kernel, expect, n) == 0, "read() got the raw ID");
	cr_assert(memcmp(lines, expect, n) == 0, "the lines carried the raw ID");
	release();
	fx_assert_events(sim, "parport0 claim pid=PID\n"
		      "parport0 negotiate nibble+deviceid accepted\n"
		      "parport0 terminate\n"
		      "parport0 negotiate nibble+deviceid accepted\n"
		      "parport0 terminate\n"
		      "parport0 release pid=PID\n");
}

Test(peripheral, a_refuse_fault_rejects_its_mode_on_the_lines_too)
{
	static const char model[] = "[device]\nid=MFG:A;\nmodes=compat,nibble,ecp\n"
				    "[fault.noecp]\nkind=refuse\nrefuse=ecp\non-signal=true\n";

	sim = fx_start1(model);
	claim();
	cr_assert_eq(negotiate(0x10), BUSY | NACK | SELECT | PERROR | NFAULT, "ECP accepted: forward idle");
	terminate();
	fx_kill(sim, SIGUSR2);
	fx_await_event(sim, "parport0 fault noecp begin refuse\n");
	cr_assert_eq(negotiate(0x10), BUSY | NACK | NFAULT, "ECP refused: XFlag low");
	terminate();
	cr_assert_eq(negotiate(0x00), NACK | NFAULT, "nibble mode stays");
	terminate();
}

/* ---- (b) compatibility mode forward ---- */

/* One byte as parport_ieee1284_write_compat() sends it, with the answers of a Centronics printer. */
static void compat_byte(unsigned char c)
{
	await(BUSY | NFAULT, BUSY | NFAULT, "Busy low");
	put_data(c);
	frob(STROBE, STROBE);
	cr_assert_eq(status(), READY & ~BUSY, "Busy high once the byte is latched");
	frob(STROBE, 0);
	cr_assert_eq(await(NACK, 0, "nAck pulse"), READY & ~(BUSY | NACK), "the acknowledge pulse");
	cr_assert_eq(status(), READY, "ready again after the pulse");
}

static void fill(unsigned char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(i * 7 + 3);
}

Test(peripheral, compat_bytes_strobed_on_the_lines_get_busy_and_ack_and_are_recorded)
{
	unsigned char data[64];

	fill(data, sizeof data);
	sim = fx_start1(lines_model);
	claim();
	for (size_t i = 0; i < sizeof data; i++)
		compat_byte(data[i]);
	release();
	fx_assert_record(sim, "parport0-0001.prn", data, sizeof data);
}

Test(peripheral, write_and_strobes_on_the_lines_record_the_same_bytes)
{
	unsigned char data[300];

	fill(data, sizeof data);
	sim = fx_start1(lines_model);
	claim();
	cr_assert_eq(write(fd, data, sizeof data), (ssize_t)sizeof data);
	release();
	cr_assert_eq(ioctl(fd, PPCLAIM), 0);
	for (size_t i = 0; i < sizeof data; i++)
		compat_byte(data[i]);
	release();
	fx_assert_record(sim, "parport0-0001.prn", data, sizeof data);
	fx_assert_record(sim, "parport0-0002.prn", data, sizeof data);
}

Test(peripheral, a_printer_that_is_not_ready_latches_nothing)
{
	static const char model[] = "[device]\nid=MFG:A;\nmodes=compat,nibble\n"
				    "[fault.out]\nkind=paper-out\non-signal=true\n";

	sim = fx_start1(model);
	claim();
	compat_byte('a');
	fx_kill(sim, SIGUSR2);
	fx_await_event(sim, "parport0 fault out begin paper-out\n");
	cr_assert_eq(status(), 0x70, "paper out");
	put_data('b');
	frob(STROBE, STROBE);
	cr_assert_eq(status(), 0x70, "no Busy answer");
	frob(STROBE, 0);
	fx_kill(sim, SIGUSR1);
	fx_await_event(sim, "parport0 fault out end\n");
	compat_byte('c');
	release();
	fx_assert_record(sim, "parport0-0001.prn", "ac", 2);
}

/* ---- (c) ECP ---- */

/* Events 30, 31 after ECP is accepted: HostAck low, PError high. */
static void ecp_setup(void)
{
	frob(AUTOFD, AUTOFD);
	await(PERROR, PERROR, "event 31");
}

/* Events 34-37 for one byte; HostAck low marks a command (channel address or RLE count). */
static void ecp_byte(unsigned char c, bool command)
{
	frob(AUTOFD, command ? AUTOFD : 0);
	put_data(c);
	frob(STROBE, STROBE);                             /* event 34: HostClk low */
	cr_assert_eq(await(BUSY, 0, "event 35"), NACK | SELECT | PERROR | NFAULT, "event 35: PeriphAck high");
	frob(STROBE, 0);                                  /* event 36 */
	cr_assert_eq(await(BUSY, BUSY, "event 37"), BUSY | NACK | SELECT | PERROR | NFAULT, "event 37");
}

Test(peripheral, ecp_forward_handshake_records_data_decodes_channels_and_rle)
{
	sim = fx_start1(lines_model);
	claim();
	/* ECP forward idle: PError (nAckReverse) high, nFault (nPeriphRequest) high: no reverse data. */
	cr_assert_eq(negotiate(0x10), BUSY | NACK | SELECT | PERROR | NFAULT);
	ecp_setup();
	ecp_byte(0x81, true);   /* channel 1 */
	ecp_byte(0x04, true);   /* the next byte five times */
	ecp_byte('x', false);
	ecp_byte('a', false);
	ecp_byte('b', false);
	terminate();
	release();
	fx_assert_record(sim, "parport0-0001.prn", "xxxxxab", 7);
	fx_assert_events(sim, "parport0 claim pid=PID\n"
		      "parport0 negotiate ecp accepted\n"
		      "parport0 ecp channel 1\n"
		      "parport0 terminate\n"
		      "parport0 job parport0-0001.prn 7 bytes\n"
		      "parport0 release pid=PID\n");
}

Test(peripheral, write_and_the_ecp_handshake_record_the_same_bytes)
{
	static const unsigned char cmds[] = { 0x81, 0x04 };
	int ecp = IEEE1284_MODE_ECP, addr = IEEE1284_MODE_ECP | IEEE1284_ADDR;

	sim = fx_start1(lines_model);
	claim();
	cr_assert_eq(ioctl(fd, PPNEGOT, &ecp), 0);
	cr_assert_eq(ioctl(fd, PPSETMODE, &addr), 0);
	cr_assert_eq(write(fd, cmds, sizeof cmds), (ssize_t)sizeof cmds);
	cr_assert_eq(ioctl(fd, PPSETMODE, &ecp), 0);
	cr_assert_eq(write(fd, "xab", 3), 3);
	release();
	cr_assert_eq(ioctl(fd, PPCLAIM), 0);
	/* The kernel still thinks ECP; the client terminates on the lines first. */
	terminate();
	cr_assert_eq(negotiate(0x10), BUSY | NACK | SELECT | PERROR | NFAULT);
	ecp_setup();
	ecp_byte(0x81, true);
	ecp_byte(0x04, true);
	ecp_byte('x', false);
	ecp_byte('a', false);
	ecp_byte('b', false);
	terminate();
	release();
	fx_assert_record(sim, "parport0-0001.prn", "xxxxxab", 7);
	fx_assert_record(sim, "parport0-0002.prn", "xxxxxab", 7);
	cr_assert_eq(fx_events_count(sim, "parport0 ecp channel 1\n"), 2);
}

Test(peripheral, a_busy_printer_does_not_answer_event_34_until_it_takes_the_byte)
{
	static const char model[] = "[port]\nmodes=pcspp,tristate,ecp\n"
				    "[device]\nid=MFG:A;\nmodes=compat,nibble,ecp\n"
				    "[fault.b]\nkind=busy\non-signal=true\n";

	sim = fx_start1(model);
	claim();
	negotiate(0x10);
	ecp_setup();
	ecp_byte('a', false);
	fx_kill(sim, SIGUSR2);
	fx_await_event(sim, "parport0 fault b begin busy\n");
	put_data('b');
	frob(STROBE, STROBE);                             /* event 34 */
	for (int i = 0; i < 100; i++)
		cr_assert_eq(status(), BUSY | NACK | SELECT | PERROR | NFAULT, "no event 35 while busy");
	fx_kill(sim, SIGUSR1);
	fx_await_event(sim, "parport0 fault b end\n");
	await(BUSY, 0, "event 35");
	frob(STROBE, 0);
	await(BUSY, BUSY, "event 37");
	release();
	fx_assert_record(sim, "parport0-0001.prn", "ab", 2);
}

Test(peripheral, ecp_reverse_turns_the_bus_sends_each_byte_and_turns_it_back)
{
	static const char model[] = "[port]\nmodes=pcspp,tristate,ecp\n"
				    "[device]\nid=MFG:A;\nmodes=compat,nibble,ecp\nreverse-data=PJL\\x0c\n";
	static const unsigned char expect[] = { 'P', 'J', 'L', 0x0c };
	unsigned char got[8];
	size_t n = 0;

	sim = fx_start1(model);
	claim();
	/* nPeriphRequest (nFault) low: the printer has reverse data. */
	cr_assert_eq(negotiate(0x10), BUSY | NACK | SELECT | PERROR);
	ecp_setup();
	frob(AUTOFD, AUTOFD);                             /* event 38 */
	data_dir(1);
	frob(INIT, 0);                                    /* event 39 */
	await(PERROR, 0, "event 40");
	while (n < sizeof got && !(status() & NFAULT)) {
		cr_assert_eq(await(NACK, 0, "event 43"), SELECT, "event 43: PeriphClk low, PeriphAck high: data");
		got[n++] = get_data();
		frob(AUTOFD, 0);                          /* event 44 */
		await(NACK, NACK, "event 45");
		frob(AUTOFD, AUTOFD);                     /* event 46 */
	}
	cr_assert_eq(n, sizeof expect);
	cr_assert(memcmp(got, expect, n) == 0);
	cr_assert_eq(status(), BUSY | NACK | SELECT | NFAULT, "reverse idle, nothing more");
	frob(INIT | AUTOFD, INIT | AUTOFD);               /* event 47 */
	cr_assert_eq(await(PERROR, PERROR, "event 49"), BUSY | NACK | SELECT | PERROR | NFAULT);
	data_dir(0);
	terminate();
	release();
	fx_assert_events(sim, "parport0 claim pid=PID\n"
		      "parport0 negotiate ecp accepted\n"
		      "parport0 direction reverse\n"
		      "parport0 direction forward\n"
		      "parport0 terminate\n"
		      "parport0 release pid=PID\n");
}

/* ---- (d) byte mode ---- */

Test(peripheral, byte_mode_puts_each_byte_on_the_data_lines)
{
	static const char model[] = "[port]\nmodes=pcspp,tristate\n"
				    "[device]\nid=MFG:A;\nmodes=compat,nibble,byte\nreverse-data=\\x00\\x80ok\n";
	static const unsigned char expect[] = { 0x00, 0x80, 'o', 'k' };
	unsigned char got[8];
	size_t n = 0;

	sim = fx_start1(model);
	claim();
	cr_assert_eq(negotiate(0x01), NACK | SELECT | PERROR, "event 6: XFlag high, data available");
	data_dir(1);                                      /* event 14 */
	while (n < sizeof got && !(status() & NFAULT)) {
		frob(AUTOFD, AUTOFD);                     /* event 7 */
		cr_assert_eq(await(NACK, 0, "event 9"), SELECT | PERROR);
		got[n++] = get_data();
		frob(AUTOFD, 0);                          /* event 10 */
		await(NACK, NACK, "event 11");
		frob(STROBE, STROBE);                     /* events 16, 17 */
		frob(STROBE, 0);
	}
	cr_assert_eq(n, sizeof expect);
	cr_assert(memcmp(got, expect, n) == 0);
	cr_assert_eq(status(), NACK | SELECT | NFAULT);
	data_dir(0);
	terminate();
	release();
	/* Nothing the host strobed in byte mode was taken as print data. */
	cr_assert_null(fx_record_read(sim, "parport0-0001.prn", NULL));
}

/* ---- the two paths share the device ---- */

Test(peripheral, a_byte_the_host_left_unacknowledged_on_the_lines_goes_to_the_next_read)
{
	static const char model[] = "[port]\nmodes=pcspp,tristate\n"
				    "[device]\nid=MFG:A;\nmodes=compat,nibble,byte\nreverse-data=AB\n";
	char buf[16];
	ssize_t r;

	sim = fx_start1(model);
	claim();
	cr_assert_eq(negotiate(0x00), NACK | PERROR);
	frob(AUTOFD, AUTOFD);                             /* event 7 */
	/* Events 8, 9: the low nibble of 'A' (0x1), nAck low. */
	cr_assert_eq(await(NACK, 0, "event 9"), (0x1 << 3) | BUSY);
	/* The client leaves it there and reads through the kernel, which negotiates by itself. */
	r = read(fd, buf, sizeof buf);
	cr_assert_eq(r, 2);
	cr_assert(memcmp(buf, "AB", 2) == 0, "the byte shown on the lines came again");
	release();
}

/* ---- EPP ---- */

Test(peripheral, epp_data_cycles_write_and_read_and_epp_terminates_with_ninit)
{
	static const char model[] = "[port]\nmodes=pcspp,tristate,epp\n"
				    "[device]\nid=MFG:A;\nmodes=compat,nibble,epp\nreverse-data=ok\n";
	unsigned char got[2];

	sim = fx_start1(model);
	claim();
	cr_assert_eq(negotiate(0x40), READY, "event 6: XFlag high, nWait low");
	/* Writes: nWrite (nStrobe) low; each byte: nDStrb (nAutoFd) low, nWait high, nDStrb high, nWait low. */
	frob(STROBE | AUTOFD | SELECTIN | INIT, STROBE | INIT);
	for (const char *c = "hi"; *c; c++) {
		put_data((unsigned char)*c);
		frob(AUTOFD, AUTOFD);                     /* event 62 */
		cr_assert_eq(await(BUSY, 0, "event 58"), READY & ~BUSY);
		frob(AUTOFD, 0);                          /* event 63 */
		cr_assert_eq(await(BUSY, BUSY, "event 60"), READY);
	}
	frob(STROBE, 0);                                  /* event 61 */
	/* Reads: nWrite high, the bus reversed. */
	data_dir(1);
	for (int i = 0; i < 2; i++) {
		frob(AUTOFD, AUTOFD);                     /* event 67 */
		cr_assert_eq(await(BUSY, 0, "event 58"), READY & ~BUSY);
		got[i] = get_data();
		frob(AUTOFD, 0);                          /* event 63 */
		await(BUSY, BUSY, "event 60");
	}
	data_dir(0);
	cr_assert(memcmp(got, "ok", 2) == 0);
	frob(INIT, 0);                                    /* event 68 */
	frob(INIT | SELECTIN, INIT | SELECTIN);           /* event 69 */
	cr_assert_eq(status(), READY);
	release();
	fx_assert_record(sim, "parport0-0001.prn", "hi", 2);
	fx_assert_events(sim, "parport0 claim pid=PID\n"
		      "parport0 negotiate epp accepted\n"
		      "parport0 terminate\n"
		      "parport0 job parport0-0001.prn 2 bytes\n"
		      "parport0 release pid=PID\n");
}

/* ---- a daisy chain ---- */

/* A CPP command as the kernel's daisy.c sends it; fails the test when no chain device takes it. */
static void cpp(unsigned char cmd)
{
	static const unsigned char seq[] = { 0xaa, 0x55, 0x00, 0xff, 0x87, 0x78 };

	for (size_t i = 0; i < sizeof seq; i++)
		put_data(seq[i]);
	put_data(cmd);
	frob(STROBE, STROBE);
	cr_assert(status() & NFAULT, "CPP command 0x%02x failed", cmd);
	frob(STROBE, 0);
	put_data(0xff);
}

Test(peripheral, the_chain_device_selected_by_cpp_answers_on_the_lines)
{
	static const char model[] = "[port]\nmodes=pcspp,tristate,ecp\n"
				    "[daisy.0]\nid=MFG:ACME;MDL:Scan 1284;CLS:SCANNER;\nmodes=compat,nibble\n"
				    "[device]\nid=MFG:Epson;MDL:LQ-570;CLS:PRINTER;\nmodes=compat,nibble\n";
	unsigned char expect[64], got[64];
	size_t n = raw_id(expect, "MFG:ACME;MDL:Scan 1284;CLS:SCANNER;");

	sim = fx_start1(model);
	claim();
	cpp(0xe0);
	cr_assert_eq(negotiate(0x04), NACK | SELECT | PERROR);
	cr_assert_eq(nibble_read(got, sizeof got), n);
	cr_assert(memcmp(got, expect, n) == 0, "the selected device's ID");
	terminate();
	cpp(0x30);
	n = raw_id(expect, "MFG:Epson;MDL:LQ-570;CLS:PRINTER;");
	cr_assert_eq(negotiate(0x04), NACK | SELECT | PERROR);
	cr_assert_eq(nibble_read(got, sizeof got), n);
	cr_assert(memcmp(got, expect, n) == 0, "the end-of-chain device's ID");
	terminate();
	release();
	fx_assert_events(sim, "parport0 claim pid=PID\n"
		      "parport0.0 select\n"
		      "parport0.0 negotiate nibble+deviceid accepted\n"
		      "parport0.0 terminate\n"
		      "parport0 deselect-all\n"
		      "parport0 negotiate nibble+deviceid accepted\n"
		      "parport0 terminate\n"
		      "parport0 release pid=PID\n");
}
