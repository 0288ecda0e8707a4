/*
 * test-sim.c - parclass-sim driven by the real libieee1284, as a client sees it
 *
 * Every test starts its own simulator (fixture.c) and talks to it through
 * libieee1284 over the umockdev-emulated /dev/parportN, then checks what the
 * client got back and what the printer recorded, byte for byte.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <ieee1284.h>
#include <fcntl.h>
#include <linux/parport.h>
#include <linux/ppdev.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "fixture.h"
#include "models.h"

/* Spelled here, not taken from common/pjl.h: the simulator and its tests share nothing with the host. */
#define UEL "\033%-12345X"

static const char laser_model[] =
	"[port]\nmodes=pcspp,tristate,ecp\n"
	"[device]\n"
	"id=MFG:Hewlett-Packard;MDL:HP LaserJet 4;CMD:PCL,PJL;CLS:PRINTER;DES:Hewlett-Packard LaserJet 4;\n"
	"modes=compat,nibble,byte,ecp,ecprle\npjl=true\n";

static const char chain_model[] =
	"[port]\nmodes=pcspp,tristate,ecp\n"
	"[daisy.0]\nid=MFG:ACME;MDL:Scan 1284;CLS:SCANNER;\nmodes=compat,nibble\n"
	"[daisy.1]\nid=MFG:ACME;MDL:Laser 9;CLS:PRINTER;\nmodes=compat,nibble,ecp\n"
	"[device]\nid=MFG:Epson;MDL:LQ-570;CLS:PRINTER;\nmodes=compat,nibble\n";

static struct fx_sim *sim;
static struct parport_list ports;
static bool have_ports;

static void teardown(void)
{
	if (have_ports)
		ieee1284_free_ports(&ports);
	have_ports = false;
	fx_free(sim);
	sim = NULL;
}

TestSuite(sim, .fini = teardown);

/* Port @index of this test's port list (enumerated once). */
static struct parport *find_port(int index)
{
	if (!have_ports) {
		int r = ieee1284_find_ports(&ports, 0);

		cr_assert_eq(r, E1284_OK, "find_ports: %d", r);
		have_ports = true;
	}
	cr_assert_gt(ports.portc, index, "only %d ports", ports.portc);
	return ports.portv[index];
}

/* Open and claim port @index with a short inactivity timeout. */
static struct parport *claim_port(int index, int flags)
{
	struct parport *p = find_port(index);
	struct timeval tv = { 0, 200000 };
	int r;

	r = ieee1284_open(p, flags, NULL);
	cr_assert_eq(r, E1284_OK, "open: %d", r);
	r = ieee1284_claim(p);
	cr_assert_eq(r, E1284_OK, "claim: %d", r);
	ieee1284_set_timeout(p, &tv);
	return p;
}

static void put_port(struct parport *p)
{
	ieee1284_release(p);
	ieee1284_close(p);
}

/* Status register as the kernel reports it (libieee1284 un-inverts Busy). */
static int status_reg(struct parport *p)
{
	int s = ieee1284_read_status(p);

	cr_assert_geq(s, 0);
	return s ^ S1284_INVERTED;
}

/* Read reverse data in nibble mode until @n bytes or nothing more comes. */
static size_t nibble_read_all(struct parport *p, char *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = ieee1284_nibble_read(p, F1284_NONBLOCK, buf + got, n - got);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

/* ---- ports and capabilities ---- */

Test(sim, find_ports_sees_every_modelled_port_and_their_modes)
{
	const char *models[] = { laser_model, centronics_model, empty_bidir_model, NULL };
	int caps[3];

	sim = fx_start(models);
	find_port(0);
	cr_assert_eq(ports.portc, 3);
	for (int i = 0; i < 3; i++) {
		g_autofree char *name = g_strdup_printf("parport%d", i);

		cr_assert_str_eq(ports.portv[i]->name, name);
		cr_assert_eq(ieee1284_open(ports.portv[i], 0, &caps[i]), E1284_OK);
		ieee1284_close(ports.portv[i]);
	}
	cr_assert_eq(caps[0], CAP1284_RAW | CAP1284_NIBBLE | CAP1284_BYTE | CAP1284_COMPAT | CAP1284_ECP |
				      CAP1284_ECPRLE | CAP1284_ECPSWE | CAP1284_IRQ);
	cr_assert_eq(caps[1], CAP1284_RAW | CAP1284_NIBBLE | CAP1284_COMPAT | CAP1284_IRQ);
	cr_assert_eq(caps[2], CAP1284_RAW | CAP1284_NIBBLE | CAP1284_BYTE | CAP1284_COMPAT | CAP1284_ECPSWE | CAP1284_IRQ);
}

Test(sim, default_model_serves_one_printer)
{
	char id[256];
	ssize_t n;

	sim = fx_start(NULL);
	find_port(0);
	cr_assert_eq(ports.portc, 1);
	n = ieee1284_get_deviceid(ports.portv[0], -1, F1284_FRESH, id, sizeof id);
	cr_assert_gt(n, 2);
	cr_assert(strstr(id + 2, "MDL:Virtual Laser 1284;"));
}

/* ---- device IDs ---- */

Test(sim, cached_device_id_is_the_kernels_autoprobe_text)
{
	static const char text[] = "CLASS:PRINTER;\nMODEL:HP LaserJet 4;\nMANUFACTURER:Hewlett-Packard;\n"
				   "DESCRIPTION:Hewlett-Packard LaserJet 4;\nCOMMAND SET:PCL,PJL;\n";
	char id[512];
	ssize_t n;

	sim = fx_start1(laser_model);
	n = ieee1284_get_deviceid(find_port(0), -1, 0, id, sizeof id);
	cr_assert_eq(n, (ssize_t)strlen(text));
	cr_assert_eq((unsigned char)id[0], strlen(text) >> 8);
	cr_assert_eq((unsigned char)id[1], strlen(text) & 0xff);
	cr_assert_str_eq(id + 2, text);
}

Test(sim, fresh_device_id_is_the_raw_id_with_its_length)
{
	static const char text[] =
		"MFG:Hewlett-Packard;MDL:HP LaserJet 4;CMD:PCL,PJL;CLS:PRINTER;DES:Hewlett-Packard LaserJet 4;";
	char id[512];
	ssize_t n;

	sim = fx_start1(laser_model);
	n = ieee1284_get_deviceid(find_port(0), -1, F1284_FRESH, id, sizeof id);
	cr_assert_eq(n, (ssize_t)strlen(text) + 2);
	cr_assert_eq((size_t)(((unsigned char)id[0] << 8) | (unsigned char)id[1]), strlen(text) + 2);
	cr_assert_str_eq(id + 2, text);
	fx_assert_events(sim, "parport0 claim pid=PID\nparport0 release pid=PID\n"   /* libieee1284's detection */
			 "parport0 claim pid=PID\n"
			 "parport0 negotiate nibble+deviceid accepted\n"
			 "parport0 terminate\n"
			 "parport0 release pid=PID\n");
}

Test(sim, daisy_chain_devices_have_cached_ids)
{
	char id[256];
	ssize_t n;

	sim = fx_start1(chain_model);
	n = ieee1284_get_deviceid(find_port(0), 1, 0, id, sizeof id);
	cr_assert_gt(n, 0);
	cr_assert_str_eq(id + 2, "CLASS:PRINTER;\nMODEL:Laser 9;\nMANUFACTURER:ACME;\n");
	n = ieee1284_get_deviceid(ports.portv[0], 0, 0, id, sizeof id);
	cr_assert_str_eq(id + 2, "CLASS:SCANNER;\nMODEL:Scan 1284;\nMANUFACTURER:ACME;\n");
}

Test(sim, malformed_ids_are_served_as_modelled)
{
	const char *models[] = {
		"[device]\nid=MFG:A;MDL:B;\nid-length=little-endian\nmodes=compat,nibble\n",
		"[device]\nid=MFG:A;MDL:B;\nid-length=exclusive\nmodes=compat,nibble\n",
		"[device]\nid=MFG:A;MDL:B;\nid-endless=true\nmodes=compat,nibble\n",
		NULL
	};
	char buf[64];
	struct parport *p;

	sim = fx_start(models);
	p = find_port(0);
	cr_assert_eq(ieee1284_get_deviceid(p, -1, F1284_FRESH, buf, sizeof buf), 14);
	cr_assert(memcmp(buf, "\x0e\x00" "MFG:A;MDL:B;", 14) == 0, "little-endian length");
	cr_assert_eq(ieee1284_get_deviceid(ports.portv[1], -1, F1284_FRESH, buf, sizeof buf), 14);
	cr_assert(memcmp(buf, "\x00\x0c" "MFG:A;MDL:B;", 14) == 0, "length excluding itself");

	/* The endless ID: after the text it keeps sending 0xff. */
	p = claim_port(2, 0);
	cr_assert_eq(ieee1284_negotiate(p, M1284_NIBBLE | M1284_FLAG_DEVICEID), E1284_OK);
	cr_assert_eq(nibble_read_all(p, buf, 20), 20);
	cr_assert(memcmp(buf, "\x00\x0e" "MFG:A;MDL:B;\xff\xff\xff\xff\xff\xff", 20) == 0);
	cr_assert_eq(ieee1284_nibble_read(p, 0, buf, sizeof buf), 64, "never ends");
	put_port(p);
}

Test(sim, device_without_id_rejects_the_id_request)
{
	struct parport *p;

	sim = fx_start1("[device]\nmodes=compat,nibble\n");
	p = claim_port(0, 0);
	cr_assert_eq(ieee1284_negotiate(p, M1284_NIBBLE | M1284_FLAG_DEVICEID), E1284_REJECTED);
	cr_assert_eq(ieee1284_negotiate(p, M1284_NIBBLE), E1284_OK);
	put_port(p);
}

Test(sim, autoprobe_can_be_absent)
{
	char id[128];

	sim = fx_start1("[device]\nid=MFG:A;MDL:B;\nautoprobe=false\nmodes=compat,nibble\n");
	/* No cache: libieee1284 asks the device. */
	cr_assert_eq(ieee1284_get_deviceid(find_port(0), -1, 0, id, sizeof id), 14);
	cr_assert_str_eq(id + 2, "MFG:A;MDL:B;");
}

/* ---- negotiation ---- */

Test(sim, accepted_modes_negotiate_and_others_are_rejected)
{
	static const struct {
		int mode;
		int expect;
	} cases[] = {
		{ M1284_NIBBLE, E1284_OK },
		{ M1284_BYTE, E1284_OK },
		{ M1284_ECP, E1284_OK },
		{ M1284_ECPRLE, E1284_OK },
		{ M1284_EPP, E1284_REJECTED },
		{ M1284_NIBBLE | M1284_FLAG_DEVICEID, E1284_OK },
		{ M1284_BYTE | M1284_FLAG_DEVICEID, E1284_OK },
		{ M1284_ECP | M1284_FLAG_DEVICEID, E1284_OK },
		{ M1284_EPP | M1284_FLAG_DEVICEID, E1284_REJECTED },
		{ M1284_NIBBLE | M1284_FLAG_EXT_LINK, E1284_REJECTED },
	};
	struct parport *p;

	sim = fx_start1(laser_model);
	p = claim_port(0, 0);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		int r = ieee1284_negotiate(p, cases[i].mode);

		cr_assert_eq(r, cases[i].expect, "mode %#x: %d, expected %d", cases[i].mode, r, cases[i].expect);
		ieee1284_terminate(p);
	}
	put_port(p);
}

Test(sim, refused_mode_is_rejected)
{
	struct parport *p;

	sim = fx_start1("[device]\nid=MFG:A;\nmodes=compat,nibble,byte,ecp\nrefuse=ecp\n");
	p = claim_port(0, 0);
	cr_assert_eq(ieee1284_negotiate(p, M1284_ECP), E1284_REJECTED);
	ieee1284_terminate(p);
	cr_assert_eq(ieee1284_negotiate(p, M1284_BYTE), E1284_OK);
	put_port(p);
}

Test(sim, legacy_device_and_empty_port_do_not_answer_negotiation)
{
	const char *models[] = { centronics_model, empty_bidir_model, NULL };
	struct parport *p0, *p1;

	sim = fx_start(models);
	p0 = claim_port(0, 0);
	p1 = ports.portv[1];
	cr_assert_eq(ieee1284_open(p1, 0, NULL), E1284_OK);
	cr_assert_eq(ieee1284_claim(p1), E1284_OK);
	cr_assert_eq(ieee1284_negotiate(p0, M1284_NIBBLE), E1284_NEGFAILED);
	cr_assert_eq(ieee1284_negotiate(p1, M1284_NIBBLE), E1284_NEGFAILED);
	put_port(p0);
	put_port(p1);
}

Test(sim, late_answers_fail_only_beyond_the_kernels_wait)
{
	const char *models[] = {
		"[device]\nid=MFG:A;\nmodes=compat,nibble,ecp\nnegotiation-delay-ms=30\n",
		"[device]\nid=MFG:A;\nmodes=compat,nibble,ecp\nnegotiation-delay-ms=60\n",
		NULL
	};
	struct parport *p;
	long long t0;

	sim = fx_start(models);
	p = claim_port(0, 0);
	t0 = now_ms();
	cr_assert_eq(ieee1284_negotiate(p, M1284_ECP), E1284_OK);
	cr_assert_geq(now_ms() - t0, 30, "the answer took its time");
	put_port(p);

	p = claim_port(1, 0);
	cr_assert_eq(ieee1284_negotiate(p, M1284_ECP), E1284_NEGFAILED);
	put_port(p);
}

Test(sim, a_refuse_fault_rejects_its_modes_and_stops_a_link_in_one_of_them)
{
	static const char model[] = "[port]\nmodes=pcspp,tristate,ecp\n"
				    "[device]\nid=MFG:A;\nmodes=compat,nibble,byte,ecp,ecprle\n"
				    "[fault.noecp]\nkind=refuse\nrefuse=ecp\nafter-bytes=1000\n";
	enum { N = 3000 };
	static unsigned char data[N];
	struct parport *p;

	fill_pattern(data, N, 21);
	sim = fx_start1(model);
	p = claim_port(0, 0);   /* 200 ms inactivity timeout */
	cr_assert_eq(ieee1284_negotiate(p, M1284_ECP), E1284_OK);
	/* The printer stops answering the ECP handshake at byte 1000: PeriphAck stays high. */
	cr_assert_eq(ieee1284_ecp_write_data(p, 0, (const char *)data, N), 1000);
	cr_assert_eq(status_reg(p) & 0xa8, 0x28, "PeriphAck high, nAckReverse high, no reverse data");
	ieee1284_terminate(p);
	cr_assert_eq(ieee1284_negotiate(p, M1284_ECP), E1284_REJECTED);
	cr_assert_eq(ieee1284_negotiate(p, M1284_ECPRLE), E1284_REJECTED);
	cr_assert_eq(ieee1284_negotiate(p, M1284_BYTE), E1284_OK, "other modes stay");
	ieee1284_terminate(p);
	cr_assert_eq(ieee1284_compat_write(p, 0, (const char *)data + 1000, N - 1000), N - 1000);
	fx_kill(sim, SIGUSR1);
	fx_await_event(sim, "parport0 fault noecp end\n");
	cr_assert_eq(ieee1284_negotiate(p, M1284_ECP), E1284_OK, "ECP is back when the fault ends");
	put_port(p);
	fx_assert_record(sim, "parport0-0001.prn", data, N);
	cr_assert(fx_events_contain(sim, "parport0 fault noecp begin refuse\n"));
	cr_assert(fx_events_contain(sim, "parport0 negotiate ecp rejected\n"));
}

Test(sim, a_late_fault_fails_negotiation_while_it_lasts)
{
	static const char model[] = "[device]\nid=MFG:A;\nmodes=compat,nibble,ecp\n"
				    "[fault.slow]\nkind=late\nnegotiation-delay-ms=100\non-signal=true\n";
	struct parport *p;

	sim = fx_start1(model);
	p = claim_port(0, 0);
	cr_assert_eq(ieee1284_negotiate(p, M1284_ECP), E1284_OK);
	ieee1284_terminate(p);
	fx_kill(sim, SIGUSR2);
	fx_await_event(sim, "parport0 fault slow begin late\n");
	/* Beyond the kernel's 40 ms: no IEEE 1284 answer at all; the status lines stay ready. */
	cr_assert_eq(ieee1284_negotiate(p, M1284_ECP), E1284_NEGFAILED);
	cr_assert_eq(ieee1284_negotiate(p, M1284_NIBBLE), E1284_NEGFAILED);
	cr_assert_eq(status_reg(p), 0xd8);
	fx_kill(sim, SIGUSR1);
	fx_await_event(sim, "parport0 fault slow end\n");
	cr_assert_eq(ieee1284_negotiate(p, M1284_NIBBLE), E1284_OK);
	put_port(p);
	cr_assert(fx_events_contain(sim, "parport0 negotiate ecp no-answer\n"));
}

/* ---- transfers ---- */

Test(sim, compat_write_delivers_exact_bytes)
{
	enum { N = 100000 };
	static unsigned char data[N];
	struct parport *p;

	fill_pattern(data, N, 1);
	sim = fx_start1(laser_model);
	p = claim_port(0, 0);
	cr_assert_eq(ieee1284_compat_write(p, 0, (const char *)data, N), N);
	put_port(p);
	fx_assert_record(sim, "parport0-0001.prn", data, N);
}

Test(sim, each_claim_session_gets_its_own_record_file)
{
	struct parport *p;

	sim = fx_start1(laser_model);
	p = claim_port(0, 0);
	cr_assert_eq(ieee1284_compat_write(p, 0, "first", 5), 5);
	ieee1284_release(p);
	cr_assert_eq(ieee1284_claim(p), E1284_OK);
	ieee1284_release(p);  /* no data: no file */
	cr_assert_eq(ieee1284_claim(p), E1284_OK);
	cr_assert_eq(ieee1284_compat_write(p, 0, "second", 6), 6);
	put_port(p);
	fx_assert_record(sim, "parport0-0001.prn", "first", 5);
	fx_assert_record(sim, "parport0-0002.prn", "second", 6);
	cr_assert_null(fx_record_read(sim, "parport0-0003.prn", NULL));
}

Test(sim, ecp_write_decodes_channels_and_rle)
{
	struct parport *p;

	sim = fx_start1(laser_model);
	p = claim_port(0, 0);
	cr_assert_eq(ieee1284_negotiate(p, M1284_ECPRLE), E1284_OK);
	cr_assert_eq(ieee1284_ecp_write_data(p, F1284_RLE, "head", 4), 4);
	cr_assert_eq(ieee1284_ecp_write_addr(p, F1284_RLE, "\x85", 1), 1);       /* channel 5 */
	cr_assert_eq(ieee1284_ecp_write_data(p, F1284_RLE, "ab", 2), 2);
	cr_assert_eq(ieee1284_ecp_write_addr(p, F1284_RLE, "\x04", 1), 1);       /* run of 5 */
	cr_assert_eq(ieee1284_ecp_write_data(p, F1284_RLE, "Xend", 4), 4);
	put_port(p);
	fx_assert_record(sim, "parport0-0001.prn", "headabXXXXXend", 14);
	cr_assert(fx_events_contain(sim, "parport0 ecp channel 5\n"));
}

Test(sim, ecp_reverse_nibble_and_byte_reads_carry_exact_bytes)
{
	const char *models[] = {
		"[device]\nid=MFG:A;\nmodes=compat,nibble,byte,ecp\nreverse-data=ecp says \\x01\\xff\\n\n",
		"[device]\nid=MFG:A;\nmodes=compat,nibble,byte\nreverse-data=nibble \\x00\\x80\n",
		"[device]\nid=MFG:A;\nmodes=compat,nibble,byte\nreverse-data=byte mode\n",
		NULL
	};
	char buf[64];
	struct parport *p;

	sim = fx_start(models);
	p = claim_port(0, 0);
	cr_assert_eq(ieee1284_negotiate(p, M1284_ECP), E1284_OK);
	cr_assert_eq(ieee1284_ecp_fwd_to_rev(p), E1284_OK);
	cr_assert_eq(ieee1284_ecp_read_data(p, F1284_NONBLOCK, buf, sizeof buf), 12);
	cr_assert(memcmp(buf, "ecp says \x01\xff\n", 12) == 0);
	cr_assert_eq(ieee1284_ecp_rev_to_fwd(p), E1284_OK);
	put_port(p);

	p = claim_port(1, 0);
	cr_assert_eq(ieee1284_negotiate(p, M1284_NIBBLE), E1284_OK);
	cr_assert_eq(ieee1284_nibble_read(p, 0, buf, sizeof buf), 9);
	cr_assert(memcmp(buf, "nibble \x00\x80", 9) == 0);
	put_port(p);

	p = claim_port(2, 0);
	cr_assert_eq(ieee1284_negotiate(p, M1284_BYTE), E1284_OK);
	cr_assert_eq(ieee1284_byte_read(p, 0, buf, sizeof buf), 9);
	cr_assert(memcmp(buf, "byte mode", 9) == 0);
	put_port(p);
}

Test(sim, reads_are_short_at_the_kernels_buffer_size)
{
	GString *model = g_string_new("[device]\nid=MFG:A;\nmodes=compat,nibble\nreverse-data=");
	char buf[4096];
	struct parport *p;

	for (int i = 0; i < 3000; i++)
		g_string_append_c(model, (char)('a' + i % 26));
	g_string_append_c(model, '\n');
	sim = fx_start1(model->str);
	g_string_free(model, TRUE);
	p = claim_port(0, 0);
	cr_assert_eq(ieee1284_negotiate(p, M1284_NIBBLE), E1284_OK);
	cr_assert_eq(ieee1284_nibble_read(p, 0, buf, sizeof buf), 1024);
	cr_assert_eq(ieee1284_nibble_read(p, 0, buf, sizeof buf), 1024);
	cr_assert_eq(ieee1284_nibble_read(p, 0, buf, sizeof buf), 952);
	cr_assert_eq(buf[951], 'a' + 2999 % 26);
	put_port(p);
}

Test(sim, nonblocking_read_without_data_is_eagain)
{
	char buf[16];
	struct parport *p;

	sim = fx_start1(laser_model);
	p = claim_port(0, 0);
	cr_assert_eq(ieee1284_negotiate(p, M1284_NIBBLE), E1284_OK);
	errno = 0;
	cr_assert_eq(ieee1284_nibble_read(p, F1284_NONBLOCK, buf, sizeof buf), E1284_SYS);
	cr_assert_eq(errno, EAGAIN);
	put_port(p);
}

static void on_signal(int sig)
{
}

static void catch_signal(int sig)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);  /* no SA_RESTART */
}

Test(sim, blocking_read_without_data_waits_until_a_signal)
{
	struct itimerval it = { .it_value = { 0, 300000 } };
	char buf[16];
	struct parport *p;
	long long t0;

	sim = fx_start1(laser_model);
	p = claim_port(0, 0);
	cr_assert_eq(ieee1284_negotiate(p, M1284_NIBBLE), E1284_OK);
	catch_signal(SIGALRM);
	setitimer(ITIMER_REAL, &it, NULL);
	t0 = now_ms();
	errno = 0;
	cr_assert_eq(ieee1284_nibble_read(p, 0, buf, sizeof buf), E1284_SYS);
	cr_assert_eq(errno, EINTR);
	cr_assert_geq(now_ms() - t0, 250, "returned before the signal");
	put_port(p);
}

/* ---- PJL ---- */

Test(sim, pjl_requests_are_answered_on_the_reverse_channel)
{
	static const char request[] = UEL "@PJL INFO STATUS\r\n@PJL ECHO 7\r\n@PJL INFO ID\r\n";
	static const char answer[] = "@PJL INFO STATUS\r\nCODE=10001\r\nDISPLAY=\"00 READY\"\r\nONLINE=TRUE\r\n\f"
				     "@PJL ECHO 7\r\n\f"
				     "@PJL INFO ID\r\n\"HP LaserJet 4\"\r\n\f";
	char buf[256];
	struct parport *p;

	sim = fx_start1(laser_model);
	p = claim_port(0, 0);
	cr_assert_eq(status_reg(p), 0xd8, "ready, nothing to say");
	cr_assert_eq(ieee1284_compat_write(p, 0, request, sizeof request - 1), sizeof request - 1);
	cr_assert_eq(ieee1284_negotiate(p, M1284_NIBBLE), E1284_OK);
	cr_assert_eq(status_reg(p) & (S1284_NFAULT | S1284_PERROR), S1284_PERROR, "nDataAvail low");
	cr_assert_eq(nibble_read_all(p, buf, sizeof buf), sizeof answer - 1);
	cr_assert(memcmp(buf, answer, sizeof answer - 1) == 0);
	cr_assert_eq(status_reg(p) & (S1284_NFAULT | S1284_PERROR), S1284_NFAULT, "no more data");
	put_port(p);
}

Test(sim, ecp_forward_idle_signals_reverse_data_with_nperiphrequest)
{
	struct parport *p;

	sim = fx_start1(laser_model);
	p = claim_port(0, 0);
	cr_assert_eq(ieee1284_negotiate(p, M1284_ECP), E1284_OK);
	cr_assert_eq(status_reg(p), 0xf8);
	cr_assert_eq(ieee1284_ecp_write_data(p, 0, UEL "@PJL ECHO x\r\n", 22), 22);
	cr_assert_eq(status_reg(p), 0xf0, "nPeriphRequest low");
	put_port(p);
}

Test(sim, ustatus_reports_device_job_and_page_events)
{
	static const char model[] = "[device]\nid=MFG:A;MDL:B;\nmodes=compat,nibble\npjl=true\n"
				    "[fault.door]\nkind=door-open\non-signal=true\n";
	static const char job[] = UEL "@PJL USTATUS DEVICE=ON\r\n@PJL USTATUS JOB=ON\r\n@PJL USTATUS PAGE=ON\r\n"
				  "@PJL JOB NAME=\"t\"\r\n@PJL ENTER LANGUAGE=PCL\r\n\033Ep1\f" UEL "@PJL EOJ\r\n" UEL;
	static const char expect[] = "@PJL USTATUS JOB\r\nSTART\r\nNAME=\"t\"\r\n\f"
				     "@PJL USTATUS PAGE\r\n1\r\n\f"
				     "@PJL USTATUS JOB\r\nEND\r\nNAME=\"t\"\r\nPAGES=1\r\n\f"
				     "@PJL USTATUS DEVICE\r\nCODE=40021\r\nDISPLAY=\"12 PRINTER OPEN\"\r\nONLINE=FALSE\r\n\f";
	char buf[512];
	struct parport *p;
	size_t got = 0;

	sim = fx_start1(model);
	p = claim_port(0, 0);
	cr_assert_eq(ieee1284_compat_write(p, 0, job, sizeof job - 1), sizeof job - 1);
	fx_kill(sim, SIGUSR2);
	cr_assert_eq(ieee1284_negotiate(p, M1284_NIBBLE), E1284_OK);
	for (long long t0 = now_ms(); got < sizeof expect - 1 && now_ms() - t0 < EVENTUALLY_MS;) {
		ssize_t r = ieee1284_nibble_read(p, F1284_NONBLOCK, buf + got, sizeof buf - got);

		if (r > 0)
			got += (size_t)r;
		else
			usleep(10000);
	}
	cr_assert_eq(got, sizeof expect - 1);
	cr_assert(memcmp(buf, expect, got) == 0, "got [%.*s]", (int)got, buf);
	put_port(p);
}

/* ---- status lines and faults ---- */

Test(sim, each_condition_has_its_status_lines)
{
	static const struct {
		const char *state;
		int reg;
	} cases[] = {
		{ "ready", 0xd8 }, { "toner-low", 0xd8 }, { "busy", 0x58 }, { "offline", 0x48 },
		{ "paper-out", 0x70 }, { "door-open", 0x50 }, { "jam", 0x50 }, { "error", 0x50 },
		{ "power-off", 0x80 }, { "vanish", 0x78 },
	};
	const char *models[G_N_ELEMENTS(cases) + 2];
	char *texts[G_N_ELEMENTS(cases)];

	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		texts[i] = g_strdup_printf("[device]\nid=MFG:A;\nmodes=compat,nibble\nstate=%s\n", cases[i].state);
		models[i] = texts[i];
	}
	models[G_N_ELEMENTS(cases)] = empty_bidir_model;
	models[G_N_ELEMENTS(cases) + 1] = NULL;
	/* Eight nodes at most: run the cases in two simulators. */
	for (size_t first = 0; first < G_N_ELEMENTS(cases) + 1; first += 6) {
		const char *some[7] = { NULL };
		size_t n = MIN(6, G_N_ELEMENTS(cases) + 1 - first);

		memcpy(some, models + first, n * sizeof *some);
		sim = fx_start(some);
		find_port(0);
		for (size_t i = 0; i < n; i++) {
			struct parport *p = ports.portv[i];
			int expect = first + i < G_N_ELEMENTS(cases) ? cases[first + i].reg : 0x78;

			cr_assert_eq(ieee1284_open(p, 0, NULL), E1284_OK);
			cr_assert_eq(ieee1284_claim(p), E1284_OK);
			cr_assert_eq(status_reg(p), expect, "%s: status %#x, expected %#x",
				     first + i < G_N_ELEMENTS(cases) ? cases[first + i].state : "empty port",
				     status_reg(p), expect);
			put_port(p);
		}
		ieee1284_free_ports(&ports);
		have_ports = false;
		fx_free(sim);
		sim = NULL;
	}
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		g_free(texts[i]);
}

static bool wait_status(struct parport *p, int reg, int timeout_ms)
{
	for (long long t0 = now_ms(); now_ms() - t0 < timeout_ms; usleep(5000))
		if (status_reg(p) == reg)
			return true;
	return false;
}

Test(sim, status_follows_a_byte_triggered_fault_and_its_end)
{
	static const char model[] = "[device]\nid=MFG:A;\nmodes=compat,nibble\n"
				    "[fault.paper]\nkind=paper-out\nafter-bytes=10\n";
	struct parport *p;

	sim = fx_start1(model);
	p = claim_port(0, 0);
	cr_assert_eq(status_reg(p), 0xd8);
	cr_assert_eq(ieee1284_compat_write(p, 0, "0123456789", 10), 10);
	cr_assert_eq(status_reg(p), 0x70, "paper out after 10 bytes");
	fx_kill(sim, SIGUSR1);
	cr_assert(wait_status(p, 0xd8, EVENTUALLY_MS), "the fault ends on SIGUSR1");
	put_port(p);
	cr_assert(fx_events_contain(sim, "parport0 fault paper begin paper-out\n"
					  "parport0 state ready -> paper-out\n"));
	cr_assert(fx_events_contain(sim, "parport0 fault paper end\nparport0 state paper-out -> ready\n"));
}

Test(sim, signals_start_and_end_faults)
{
	static const char model[] = "[device]\nid=MFG:A;\nmodes=compat,nibble\n"
				    "[fault.off]\nkind=offline\non-signal=true\n";
	struct parport *p;

	sim = fx_start1(model);
	p = claim_port(0, 0);
	cr_assert_eq(status_reg(p), 0xd8);
	fx_kill(sim, SIGUSR2);
	cr_assert(wait_status(p, 0x48, EVENTUALLY_MS), "offline after SIGUSR2");
	fx_kill(sim, SIGUSR1);
	cr_assert(wait_status(p, 0xd8, EVENTUALLY_MS), "online after SIGUSR1");
	put_port(p);
}

/*
 * The clock's triggers, checked from the events log alone: when a client
 * would see the fault is up to the scheduler, but the simulator must start
 * it no sooner than after-ms and end it no sooner than duration-ms later.
 */
Test(sim, time_triggered_fault_starts_and_ends_by_the_clock)
{
	static const char model[] = "[device]\nid=MFG:A;\nmodes=compat,nibble\n"
				    "[fault.off]\nkind=power-off\nafter-ms=100\nduration-ms=300\n";
	long long t0 = now_ms();

	sim = fx_start1(model);
	fx_await_event(sim, "parport0 fault off begin power-off\nparport0 state ready -> power-off\n");
	cr_assert_geq(now_ms() - t0, 100, "started before after-ms");
	fx_await_event(sim, "parport0 fault off end\nparport0 state power-off -> ready\n");
	cr_assert_geq(now_ms() - t0, 400, "ended before duration-ms");
}

Test(sim, a_byte_triggered_fault_with_a_duration_ends_by_itself)
{
	static const char model[] = "[device]\nid=MFG:A;\nmodes=compat,nibble\n"
				    "[fault.paper]\nkind=paper-out\nafter-bytes=10\nduration-ms=300\n";
	struct parport *p;
	long long t0;

	sim = fx_start1(model);
	p = claim_port(0, 0);
	t0 = now_ms();
	cr_assert_eq(ieee1284_compat_write(p, 0, "0123456789", 10), 10);
	fx_await_event(sim, "parport0 fault paper end\nparport0 state paper-out -> ready\n");
	cr_assert_geq(now_ms() - t0, 300, "ended before duration-ms");
	cr_assert(wait_status(p, 0xd8, EVENTUALLY_MS));
	put_port(p);
}

Test(sim, a_powered_off_printer_cannot_negotiate_until_it_is_on_again)
{
	static const char model[] = "[device]\nid=MFG:A;\nmodes=compat,nibble\n"
				    "[fault.off]\nkind=power-off\non-signal=true\n";
	struct parport *p;

	sim = fx_start1(model);
	p = claim_port(0, 0);
	fx_kill(sim, SIGUSR2);
	cr_assert(wait_status(p, 0x80, EVENTUALLY_MS), "powered off");
	cr_assert_eq(ieee1284_negotiate(p, M1284_NIBBLE), E1284_NEGFAILED, "a powered-off printer cannot answer");
	fx_kill(sim, SIGUSR1);
	cr_assert(wait_status(p, 0xd8, EVENTUALLY_MS), "powered on again");
	cr_assert_eq(ieee1284_negotiate(p, M1284_NIBBLE), E1284_OK);
	put_port(p);
}

Test(sim, paper_out_makes_a_compat_write_return_0_after_the_timeout_and_loses_nothing)
{
	static const char model[] = "[port]\nmodes=pcspp,tristate,ecp\n"
				    "[device]\nid=MFG:A;\nmodes=compat,nibble\n"
				    "[fault.paper]\nkind=paper-out\nafter-bytes=1000\n";
	enum { N = 3000 };
	static unsigned char data[N];
	struct parport *p;
	long long t0;
	ssize_t n;

	fill_pattern(data, N, 2);
	sim = fx_start1(model);
	p = claim_port(0, 0);   /* 200 ms inactivity timeout */
	t0 = now_ms();
	n = ieee1284_compat_write(p, 0, (const char *)data, N);
	cr_assert_eq(n, 1000, "the printer took 1000 bytes before it ran out of paper");
	cr_assert_geq(now_ms() - t0, 190, "the write waited for the timeout");
	t0 = now_ms();
	cr_assert_eq(ieee1284_compat_write(p, 0, (const char *)data + 1000, N - 1000), 0);
	cr_assert_geq(now_ms() - t0, 190);
	fx_kill(sim, SIGUSR1);
	cr_assert(wait_status(p, 0xd8, EVENTUALLY_MS), "paper is back");
	cr_assert_eq(ieee1284_compat_write(p, 0, (const char *)data + 1000, N - 1000), N - 1000);
	put_port(p);
	fx_assert_record(sim, "parport0-0001.prn", data, N);
}

Test(sim, without_a_fifo_paper_out_stops_a_compat_write_at_once)
{
	static const char model[] = "[port]\nmodes=pcspp,tristate\n"
				    "[device]\nid=MFG:A;\nmodes=compat,nibble\nstate=paper-out\n";
	struct parport *p;
	struct timeval tv = { 5, 0 };

	sim = fx_start1(model);
	p = claim_port(0, 0);
	ieee1284_set_timeout(p, &tv);
	cr_assert_eq(ieee1284_compat_write(p, 0, "data", 4), 0);
	put_port(p);
	cr_assert_null(fx_record_read(sim, "parport0-0001.prn", NULL));
}

Test(sim, a_powered_off_printer_swallows_fifo_data_but_not_handshaken_data)
{
	const char *models[] = {
		"[port]\nmodes=pcspp,tristate,ecp\n[device]\nid=MFG:A;\nmodes=compat,nibble\nstate=power-off\n",
		"[port]\nmodes=pcspp,tristate\n[device]\nid=MFG:A;\nmodes=compat,nibble\nstate=power-off\n",
		NULL
	};
	struct parport *p;

	sim = fx_start(models);
	/* A FIFO only watches Busy, which an unpowered printer leaves low. */
	p = claim_port(0, 0);
	cr_assert_eq(ieee1284_compat_write(p, 0, "lost", 4), 4);
	put_port(p);
	/* The software handshake sees nFault low and stops. */
	p = claim_port(1, 0);
	cr_assert_eq(ieee1284_compat_write(p, 0, "kept", 4), 0);
	put_port(p);
	cr_assert(fx_events_contain(sim, "parport0 lost 4 bytes: nothing listening\n"));
	cr_assert_null(fx_record_read(sim, "parport0-0001.prn", NULL));
}

Test(sim, busy_printer_takes_data_when_busy_ends)
{
	static const char model[] = "[device]\nid=MFG:A;\nmodes=compat,nibble\n"
				    "[fault.busy]\nkind=busy\nafter-bytes=4\n";
	struct parport *p;
	struct timeval tv = { EVENTUALLY_MS / 1000, 0 };
	pthread_t t;

	sim = fx_start1(model);
	p = claim_port(0, 0);
	ieee1284_set_timeout(p, &tv);
	t = fx_end_faults_on(sim, "parport0 fault busy begin busy\n");
	cr_assert_eq(ieee1284_compat_write(p, 0, "abcdefgh", 8), 8, "waited for Busy, lost nothing");
	pthread_join(t, NULL);
	put_port(p);
	fx_assert_record(sim, "parport0-0001.prn", "abcdefgh", 8);
}

Test(sim, timeouts_are_kept_per_file_in_jiffies)
{
	struct timeval tv = { 0, 1 }, *old;
	struct parport *p;

	sim = fx_start1(laser_model);
	p = claim_port(0, 0);   /* sets 200 ms */
	old = ieee1284_set_timeout(p, &tv);
	cr_assert_eq(old->tv_sec, 0);
	cr_assert_eq(old->tv_usec, 200000);
	old = ieee1284_set_timeout(p, &tv);
	cr_assert_eq(old->tv_usec, 4000, "1 us is one 4 ms jiffy");
	put_port(p);
}

Test(sim, link_rate_limits_throughput)
{
	static const char model[] = "[device]\nid=MFG:A;\nmodes=compat,nibble\ncompat-rate=100000\n";
	static unsigned char data[20000];
	struct parport *p;
	long long t0;

	sim = fx_start1(model);
	p = claim_port(0, 0);
	t0 = now_ms();
	cr_assert_eq(ieee1284_compat_write(p, 0, (const char *)data, sizeof data), sizeof data);
	cr_assert_geq(now_ms() - t0, 195, "20000 bytes at 100000 bytes/s take 200 ms");
	put_port(p);
}

Test(sim, reverse_data_can_be_garbled_and_truncated)
{
	static const char model[] = "[device]\nid=MFG:A;MDL:B;\nmodes=compat,nibble\npjl=true\n"
				    "reverse-garble=4\nreverse-truncate=10\n";
	char buf[64];
	struct parport *p;

	sim = fx_start1(model);
	p = claim_port(0, 0);
	cr_assert_eq(ieee1284_compat_write(p, 0, "@PJL ECHO abcdef\r\n", 18), 18);
	cr_assert_eq(ieee1284_negotiate(p, M1284_NIBBLE), E1284_OK);
	cr_assert_eq(nibble_read_all(p, buf, sizeof buf), 10);
	/* "@PJL ECHO abcdef\r\n\f" cut to 10 bytes, every 4th byte xor 0x5a */
	cr_assert(memcmp(buf, "@PJ\x16 EC\x12O ", 10) == 0);
	put_port(p);
}

/* ---- claims across processes ---- */

struct claimer {
	struct sync_pipe to_parent, to_child;
	char tag;
	bool use_signal;
};

/* A second process: open, wait for "go", claim, report, release. */
static int claimer_main(void *data)
{
	struct claimer *c = data;
	struct parport_list pl;
	int r;

	if (ieee1284_find_ports(&pl, 0) != E1284_OK || pl.portc < 1 || ieee1284_open(pl.portv[0], 0, NULL))
		return 10;
	if (c->use_signal)
		catch_signal(SIGUSR1);
	sync_post(&c->to_parent, 'o');
	if (sync_wait(&c->to_child, EVENTUALLY_MS) != 'g')
		return 11;
	r = ieee1284_claim(pl.portv[0]);
	if (r != E1284_OK) {
		sync_post(&c->to_parent, errno == EINTR ? 'i' : 'e');
		ieee1284_close(pl.portv[0]);
		ieee1284_free_ports(&pl);
		return 0;
	}
	sync_post(&c->to_parent, c->tag);
	ieee1284_release(pl.portv[0]);
	ieee1284_close(pl.portv[0]);
	ieee1284_free_ports(&pl);
	return 0;
}

static pid_t start_claimer(struct claimer *c, char tag)
{
	pid_t pid;

	c->tag = tag;
	sync_init(&c->to_parent);
	sync_init(&c->to_child);
	pid = fork_child(claimer_main, c);
	cr_assert_eq(sync_wait(&c->to_parent, EVENTUALLY_MS), 'o', "claimer %c did not start", tag);
	return pid;
}

Test(sim, a_claim_waits_for_the_holder_to_release)
{
	struct claimer c = { 0 };
	struct parport *p;
	pid_t pid;

	sim = fx_start1(laser_model);
	pid = start_claimer(&c, 'b');
	p = claim_port(0, 0);
	sync_post(&c.to_child, 'g');
	fx_await_event(sim, "parport0 claim waits pid=PID\n");
	cr_assert_eq(sync_wait(&c.to_parent, 0), -1, "claimed while the port was held");
	ieee1284_release(p);
	cr_assert_eq(sync_wait(&c.to_parent, EVENTUALLY_MS), 'b', "did not get the released port");
	cr_assert_eq(wait_child(pid), 0);
	ieee1284_close(p);
}

Test(sim, claims_are_granted_in_arrival_order)
{
	struct claimer c[3] = { { { { 0 } } } };
	pid_t pid[3];
	struct parport *p;
	char order[4] = { 0 };

	sim = fx_start1(laser_model);
	for (int i = 0; i < 3; i++)
		pid[i] = start_claimer(&c[i], (char)('B' + i));
	p = claim_port(0, 0);
	for (int i = 0; i < 3; i++) {
		sync_post(&c[i].to_child, 'g');
		fx_await_events(sim, "parport0 claim waits pid=PID\n", (unsigned)i + 1);   /* queued before the next */
	}
	ieee1284_release(p);
	for (int i = 0; i < 3; i++)
		order[i] = (char)sync_wait(&c[i].to_parent, EVENTUALLY_MS);
	cr_assert_str_eq(order, "BCD");
	for (int i = 0; i < 3; i++)
		cr_assert_eq(wait_child(pid[i]), 0);
	cr_assert(fx_events_contain(sim, "parport0 release pid=PID\n"
					  "parport0 claim pid=PID\nparport0 release pid=PID\n"
					  "parport0 claim pid=PID\nparport0 release pid=PID\n"
					  "parport0 claim pid=PID\nparport0 release pid=PID\n"));
	ieee1284_close(p);
}

static int holder_main(void *data)
{
	struct sync_pipe *sp = data;
	struct parport_list pl;

	if (ieee1284_find_ports(&pl, 0) != E1284_OK || ieee1284_open(pl.portv[0], 0, NULL) ||
	    ieee1284_claim(pl.portv[0]))
		return 10;
	sync_post(sp, 'h');
	pause();
	return 0;
}

Test(sim, a_holder_killed_with_sigkill_frees_the_port)
{
	struct sync_pipe hp;
	struct claimer c = { 0 };
	pid_t holder, waiter;

	sim = fx_start1(laser_model);
	waiter = start_claimer(&c, 'w');
	sync_init(&hp);
	holder = fork_child(holder_main, &hp);
	cr_assert_eq(sync_wait(&hp, EVENTUALLY_MS), 'h');
	sync_post(&c.to_child, 'g');
	fx_await_event(sim, "parport0 claim waits pid=PID\n");
	cr_assert_eq(sync_wait(&c.to_parent, 0), -1);
	kill(holder, SIGKILL);
	cr_assert_eq(wait_child(holder), 128 + SIGKILL);
	cr_assert_eq(sync_wait(&c.to_parent, EVENTUALLY_MS), 'w', "the waiter did not get the port");
	cr_assert_eq(wait_child(waiter), 0);
	cr_assert(fx_events_contain(sim, "parport0 release pid=PID (closed)\nparport0 claim pid=PID\n"));
}

static int slow_writer_main(void *data)
{
	struct sync_pipe *sp = data;
	static char buf[20000];
	struct parport_list pl;

	if (ieee1284_find_ports(&pl, 0) != E1284_OK || ieee1284_open(pl.portv[0], 0, NULL) ||
	    ieee1284_claim(pl.portv[0]))
		return 10;
	sync_post(sp, 'w');
	ieee1284_compat_write(pl.portv[0], 0, buf, sizeof buf);  /* 200 s at 100 bytes/s */
	return 0;
}

Test(sim, a_client_killed_in_the_middle_of_a_transfer_frees_the_port)
{
	struct sync_pipe sp;
	struct claimer c = { 0 };
	pid_t writer, waiter;

	/* The toner-low "fault" changes nothing on the link: it only marks that 10 bytes went. */
	sim = fx_start1("[device]\nid=MFG:A;\nmodes=compat,nibble\ncompat-rate=100\n"
			 "[fault.mark]\nkind=toner-low\nafter-bytes=10\n");
	waiter = start_claimer(&c, 'n');
	sync_init(&sp);
	writer = fork_child(slow_writer_main, &sp);
	cr_assert_eq(sync_wait(&sp, EVENTUALLY_MS), 'w');
	sync_post(&c.to_child, 'g');
	fx_await_event(sim, "parport0 claim waits pid=PID\n");
	/* The simulator is fetching the writer's data as the link allows. */
	fx_await_event(sim, "parport0 fault mark begin toner-low\n");
	kill(writer, SIGKILL);
	cr_assert_eq(wait_child(writer), 128 + SIGKILL);
	cr_assert_eq(sync_wait(&c.to_parent, EVENTUALLY_MS), 'n', "the port stayed with the dead writer");
	cr_assert_eq(wait_child(waiter), 0);
}

Test(sim, a_waiting_claim_is_interrupted_by_a_signal)
{
	struct claimer c = { .use_signal = true };
	struct parport *p;
	pid_t pid;

	sim = fx_start1(laser_model);
	pid = start_claimer(&c, 'c');
	p = claim_port(0, 0);
	sync_post(&c.to_child, 'g');
	fx_await_event(sim, "parport0 claim waits pid=PID\n");
	cr_assert_eq(sync_wait(&c.to_parent, 0), -1);
	kill(pid, SIGUSR1);
	cr_assert_eq(sync_wait(&c.to_parent, EVENTUALLY_MS), 'i', "PPCLAIM did not return EINTR");
	cr_assert_eq(wait_child(pid), 0);
	put_port(p);
}

/* ---- PPEXCL ---- */

static int register_main(void *data)
{
	struct sync_pipe *sp = data;
	struct parport_list pl;

	if (ieee1284_find_ports(&pl, 0) != E1284_OK || ieee1284_open(pl.portv[0], 0, NULL) ||
	    ieee1284_claim(pl.portv[0]))
		return 10;
	ieee1284_release(pl.portv[0]);   /* still registered until closed */
	sync_post(sp, 'r');
	pause();
	return 0;
}

Test(sim, exclusive_open_fails_while_another_file_is_registered)
{
	struct sync_pipe sp;
	struct parport *p;
	pid_t other;

	sim = fx_start1(laser_model);
	sync_init(&sp);
	other = fork_child(register_main, &sp);
	cr_assert_eq(sync_wait(&sp, EVENTUALLY_MS), 'r');
	p = find_port(0);
	cr_assert_eq(ieee1284_open(p, F1284_EXCL, NULL), E1284_OK);
	errno = 0;
	cr_assert_eq(ieee1284_claim(p), E1284_SYS);
	cr_assert_eq(errno, ENXIO);
	ieee1284_close(p);
	kill(other, SIGKILL);
	wait_child(other);
}

static int try_claim_main(void *data)
{
	struct parport_list pl;
	int r;

	(void)data;
	if (ieee1284_find_ports(&pl, 0) != E1284_OK || ieee1284_open(pl.portv[0], 0, NULL))
		return 10;
	r = ieee1284_claim(pl.portv[0]) == E1284_SYS && errno == ENXIO ? 0 : 1;
	ieee1284_release(pl.portv[0]);
	ieee1284_close(pl.portv[0]);
	ieee1284_free_ports(&pl);
	return r;
}

Test(sim, an_exclusive_file_keeps_everyone_else_out)
{
	struct parport *p;

	sim = fx_start1(laser_model);
	p = claim_port(0, F1284_EXCL);
	ieee1284_release(p);
	cr_assert_eq(wait_child(fork_child(try_claim_main, NULL)), 0, "another process registered");
	ieee1284_close(p);
	cr_assert_eq(wait_child(fork_child(try_claim_main, NULL)), 1, "the exclusive file is closed");
}

Test(sim, the_lp_driver_blocks_exclusive_access)
{
	struct parport *p;

	sim = fx_start1("[port]\nmodes=pcspp\nlp-driver=true\n[device]\nmodes=compat\n");
	p = find_port(0);
	cr_assert_eq(ieee1284_open(p, F1284_EXCL, NULL), E1284_OK);
	errno = 0;
	cr_assert_eq(ieee1284_claim(p), E1284_SYS);
	cr_assert_eq(errno, ENXIO);
	ieee1284_close(p);
}

/* ---- IEEE 1284.3 daisy chain at the signal level ---- */

/* cpp_daisy() as the kernel sends it; returns the status register during the
 * command strobe, or -1 when no chain answered. */
static int cpp(struct parport *p, unsigned char cmd)
{
	static const unsigned char preamble[] = { 0xaa, 0x55, 0x00, 0xff };
	int s;

	ieee1284_data_dir(p, 0);
	for (size_t i = 0; i < sizeof preamble; i++)
		ieee1284_write_data(p, preamble[i]);
	if ((status_reg(p) & 0xb8) != 0xb8)
		return -1;
	ieee1284_write_data(p, 0x87);
	if ((status_reg(p) & 0xb8) != 0x18)
		return -1;
	ieee1284_write_data(p, 0x78);
	ieee1284_write_data(p, cmd);
	ieee1284_frob_control(p, C1284_NSTROBE, 0);          /* nStrobe low */
	s = status_reg(p);
	ieee1284_frob_control(p, C1284_NSTROBE, C1284_NSTROBE);
	ieee1284_write_data(p, 0xff);
	return s;
}

/* The device ID of whichever device answers now. */
static char *answering_id(struct parport *p)
{
	char buf[256];
	size_t n;

	cr_assert_eq(ieee1284_negotiate(p, M1284_NIBBLE | M1284_FLAG_DEVICEID), E1284_OK);
	n = nibble_read_all(p, buf, sizeof buf);
	ieee1284_terminate(p);
	cr_assert_gt(n, 2);
	return g_strndup(buf + 2, n - 2);
}

Test(sim, cpp_selects_and_deselects_each_chain_address)
{
	struct parport *p;

	sim = fx_start1(chain_model);
	p = claim_port(0, 0);
	{
		g_autofree char *id = answering_id(p);

		cr_assert_str_eq(id, "MFG:Epson;MDL:LQ-570;CLS:PRINTER;", "nothing selected: the end device");
	}
	cr_assert(cpp(p, 0xe0) & S1284_NFAULT, "select 0");
	{
		g_autofree char *id = answering_id(p);

		cr_assert_str_eq(id, "MFG:ACME;MDL:Scan 1284;CLS:SCANNER;");
	}
	cr_assert(cpp(p, 0xd1) & S1284_NFAULT, "select 1 for ECP");
	{
		g_autofree char *id = answering_id(p);

		cr_assert_str_eq(id, "MFG:ACME;MDL:Laser 9;CLS:PRINTER;");
	}
	cr_assert_eq(cpp(p, 0xe2) & S1284_NFAULT, 0, "there is no address 2");
	cr_assert(cpp(p, 0x30) & S1284_NFAULT, "deselect all");
	{
		g_autofree char *id = answering_id(p);

		cr_assert_str_eq(id, "MFG:Epson;MDL:LQ-570;CLS:PRINTER;");
	}
	put_port(p);
	cr_assert(fx_events_contain(sim, "parport0.0 select\n"));
	cr_assert(fx_events_contain(sim, "parport0.1 select ecp\n"), "the ECP select (0xD1) is logged as such");
	cr_assert(fx_events_contain(sim, "parport0 select 2 failed\n"));
	cr_assert(fx_events_contain(sim, "parport0 deselect-all\n"));
}

Test(sim, data_for_a_selected_chain_device_is_recorded_under_its_address)
{
	struct parport *p;

	sim = fx_start1(chain_model);
	p = claim_port(0, 0);
	cr_assert(cpp(p, 0xe1) & S1284_NFAULT);
	cr_assert_eq(ieee1284_compat_write(p, 0, "to 1", 4), 4);
	cr_assert(cpp(p, 0x30) & S1284_NFAULT);
	cr_assert_eq(ieee1284_compat_write(p, 0, "to end", 6), 6);
	put_port(p);
	fx_assert_record(sim, "parport0.1-0001.prn", "to 1", 4);
	fx_assert_record(sim, "parport0-0001.prn", "to end", 6);
}

Test(sim, cpp_address_assignment_numbers_the_chain)
{
	struct parport *p;
	int s, n = 0;

	sim = fx_start1("[port]\nmodes=pcspp,tristate\ndaisy-assigned=false\n"
			 "[daisy.0]\nid=MFG:A;\n[daisy.1]\nid=MFG:B;\n[daisy.2]\nid=MFG:C;\n");
	p = claim_port(0, 0);
	cr_assert_eq(cpp(p, 0xe0) & S1284_NFAULT, 0, "no addresses yet");

	/* assign_addrs() as the kernel does it */
	ieee1284_write_data(p, 0xaa);
	ieee1284_write_data(p, 0x55);
	ieee1284_write_data(p, 0x00);
	ieee1284_write_data(p, 0xff);
	cr_assert_eq(status_reg(p) & 0xb8, 0xb8);
	ieee1284_write_data(p, 0x87);
	cr_assert_eq(status_reg(p) & 0xb8, 0x18);
	ieee1284_write_data(p, 0x78);
	s = status_reg(p);
	while ((s & (S1284_PERROR | S1284_SELECT)) == (S1284_PERROR | S1284_SELECT) && n < 4) {
		ieee1284_write_data(p, (unsigned char)n);
		ieee1284_frob_control(p, C1284_NSTROBE, 0);
		ieee1284_frob_control(p, C1284_NSTROBE, C1284_NSTROBE);
		n++;
		if (!(s & 0x80))
			break;   /* Busy high: that was the last device */
		s = status_reg(p);
	}
	ieee1284_write_data(p, 0xff);
	cr_assert_eq(n, 3, "three devices numbered");
	for (int a = 0; a < 3; a++)
		cr_assert(cpp(p, (unsigned char)(0xe0 + a)) & S1284_NFAULT, "select %d", a);
	put_port(p);
	cr_assert(fx_events_contain(sim, "parport0.0 assign 0\nparport0.1 assign 1\nparport0.2 assign 2\n"));
}

Test(sim, no_chain_means_no_cpp_answer)
{
	struct parport *p;

	sim = fx_start1(laser_model);
	p = claim_port(0, 0);
	cr_assert_eq(cpp(p, 0xe0), -1);
	put_port(p);
}

/* ---- vanishing ---- */

Test(sim, a_vanished_device_stops_answering)
{
	static const char model[] = "[device]\nid=MFG:A;\nmodes=compat,nibble\n"
				    "[fault.gone]\nkind=vanish\non-signal=true\n";
	struct parport *p;

	sim = fx_start1(model);
	p = claim_port(0, 0);
	fx_kill(sim, SIGUSR2);
	cr_assert(wait_status(p, 0x78, EVENTUALLY_MS), "only the pull-ups drive the lines");
	cr_assert_eq(ieee1284_negotiate(p, M1284_NIBBLE), E1284_NEGFAILED);
	cr_assert_eq(ieee1284_compat_write(p, 0, "x", 1), 0, "Busy high: nothing taken");
	put_port(p);
}

Test(sim, a_port_that_goes_away_fails_like_an_unregistered_port)
{
	static const char model[] = "[device]\nid=MFG:A;\nmodes=compat,nibble\n"
				    "[fault.unplug]\nkind=port-gone\non-signal=true\n";
	struct parport *p;
	char buf[8];

	sim = fx_start1(model);
	p = claim_port(0, 0);
	fx_kill(sim, SIGUSR2);
	for (long long t0 = now_ms(); status_reg(p) != 0 && now_ms() - t0 < EVENTUALLY_MS;)
		usleep(5000);
	cr_assert_eq(status_reg(p), 0);
	cr_assert_eq(ieee1284_compat_write(p, 0, "x", 1), 0);
	cr_assert_eq(ieee1284_negotiate(p, M1284_NIBBLE), E1284_NEGFAILED);
	errno = 0;
	cr_assert_eq(ieee1284_nibble_read(p, F1284_NONBLOCK, buf, sizeof buf), E1284_SYS);
	cr_assert_eq(errno, EAGAIN);
	put_port(p);
	ieee1284_free_ports(&ports);
	have_ports = false;
	/* Gone from /proc: enumeration no longer lists it. */
	cr_assert_eq(ieee1284_find_ports(&ports, 0), E1284_OK);
	have_ports = true;
	cr_assert_eq(ports.portc, 0);
}

Test(sim, a_gone_port_is_out_of_proc_when_the_event_is_logged)
{
	static const char model[] = "[device]\nid=MFG:A;\nmodes=compat,nibble\n"
				    "[fault.unplug]\nkind=port-gone\non-signal=true\n";
	g_autofree char *dir = NULL;

	sim = fx_start1(model);
	dir = g_build_filename(sim->testbed, "proc", "sys", "dev", "parport", "parport0", NULL);
	cr_assert(g_file_test(dir, G_FILE_TEST_IS_DIR));
	fx_kill(sim, SIGUSR2);
	fx_await_event(sim, "parport0 fault unplug begin port-gone\n");
	/* A client that starts once it read the log must find no port. */
	cr_assert_not(g_file_test(dir, G_FILE_TEST_EXISTS));
}

Test(sim, an_absent_port_is_out_of_proc_until_sigusr1_makes_it_appear)
{
	/* A present port first: libieee1284 settles on ppdev, once per process,
	 * only if some /dev/parportN opens when it first looks. */
	const char *models[] = { laser_model,
				 "[device]\nid=MFG:A;\nmodes=compat,nibble\n[fault.plug]\nkind=port-absent\n", NULL };
	g_autofree char *dir = NULL;
	struct parport *p;
	int fd;

	sim = fx_start(models);
	dir = g_build_filename(sim->testbed, "proc", "sys", "dev", "parport", "parport1", NULL);
	fx_await_event(sim, "parport1 fault plug begin port-absent\n");
	cr_assert_not(g_file_test(dir, G_FILE_TEST_EXISTS));
	cr_assert_eq(open("/dev/parport1", O_RDWR), -1, "no node for a port the kernel does not have");
	cr_assert_eq(errno, ENXIO);
	cr_assert_eq(ieee1284_find_ports(&ports, 0), E1284_OK);
	have_ports = true;
	cr_assert_eq(ports.portc, 1, "enumeration does not list it");
	ieee1284_free_ports(&ports);
	have_ports = false;
	fx_kill(sim, SIGUSR1);
	fx_await_event(sim, "parport1 fault plug end\n");
	/* A client that starts once it read the log finds the port, and it works. */
	cr_assert(g_file_test(dir, G_FILE_TEST_IS_DIR));
	fd = open("/dev/parport1", O_RDWR);
	cr_assert_geq(fd, 0, "its node is there: %s", strerror(errno));
	cr_assert_eq(ioctl(fd, PPCLAIM), 0);
	close(fd);
	p = claim_port(1, 0);
	cr_assert_eq(status_reg(p) & 0xf8, 0xd8, "a ready printer");
	cr_assert_eq(ieee1284_compat_write(p, 0, "x", 1), 1);
	put_port(p);
}

Test(sim, a_port_can_go_away_after_so_many_bytes_and_the_write_stops_there)
{
	static const char model[] = "[device]\nid=MFG:A;\nmodes=compat,nibble\n"
				    "[fault.unplug]\nkind=port-gone\nafter-bytes=1000\n";
	static char data[3000];
	struct parport *p;
	size_t len = 0;
	g_autofree char *rec = NULL;

	sim = fx_start1(model);
	p = claim_port(0, 0);
	cr_assert_eq(ieee1284_compat_write(p, 0, data, sizeof data), 0, "a write on a dead port takes nothing");
	cr_assert_eq(status_reg(p), 0);
	put_port(p);
	fx_stop(sim);
	cr_assert(fx_events_contain(sim, "parport0 fault unplug begin port-gone"));
	rec = fx_record_read(sim, "parport0-0001.prn", &len);
	cr_assert_eq(len, 1000, "the printer got exactly the bytes before the fault");
}

/* ---- plain ppdev calls, without libieee1284 ---- */

static int open_node(const char *node)
{
	int fd = open(node, O_RDWR);

	cr_assert_geq(fd, 0, "open %s: %s", node, strerror(errno));
	return fd;
}

Test(sim, ppdev_calls_need_a_claim_and_a_second_claim_is_einval)
{
	int fd, mode = -1;
	unsigned char st;
	char c;

	sim = fx_start1(laser_model);
	fd = open_node("/dev/parport0");
	cr_assert_eq(ioctl(fd, PPGETMODE, &mode), 0, "allowed before a claim");
	cr_assert_eq(mode, IEEE1284_MODE_COMPAT);
	cr_assert_eq(ioctl(fd, PPRSTATUS, &st), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(write(fd, "x", 1), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(read(fd, &c, 1), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(ioctl(fd, PPCLAIM), 0);
	cr_assert_eq(ioctl(fd, PPCLAIM), -1);
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(ioctl(fd, PPEXCL), -1, "too late once registered");
	cr_assert_eq(errno, EINVAL);
	cr_assert_eq(read(fd, &c, 0), 0, "reading nothing is nothing");
	cr_assert_eq(ioctl(fd, PPRELEASE), 0);
	close(fd);
}

Test(sim, ppdev_null_pointers_are_efault)
{
	int fd;

	sim = fx_start1(laser_model);
	fd = open_node("/dev/parport0");
	cr_assert_eq(ioctl(fd, PPGETMODES, NULL), -1);
	cr_assert_eq(errno, EFAULT);
	cr_assert_eq(ioctl(fd, PPCLAIM), 0);
	cr_assert_eq(ioctl(fd, PPRSTATUS, NULL), -1);
	cr_assert_eq(errno, EFAULT);
	{
		const void *volatile nothing = NULL;   /* hidden from the compiler's checks */

		cr_assert_eq(write(fd, nothing, 4), -1);
	}
	cr_assert_eq(errno, EFAULT);
	close(fd);
}

Test(sim, a_printer_that_is_never_read_keeps_a_bounded_reverse_queue)
{
	static char cmd[1024];
	struct parport *p;
	char buf[1024];
	size_t total = 0;
	ssize_t n;

	sim = fx_start1(laser_model);
	p = claim_port(0, 0);
	memcpy(cmd, "@PJL ECHO ", 10);
	memset(cmd + 10, 'e', 1000);
	memcpy(cmd + 1010, "\r\n", 2);
	for (int i = 0; i < 100; i++)  /* 100 answers of 1013 bytes */
		cr_assert_eq(ieee1284_compat_write(p, 0, cmd, 1012), 1012);
	cr_assert_eq(ieee1284_negotiate(p, M1284_NIBBLE), E1284_OK);
	while ((n = ieee1284_nibble_read(p, F1284_NONBLOCK, buf, sizeof buf)) > 0)
		total += (size_t)n;
	cr_assert_eq(total, 64 * 1013, "64 whole answers fit in 64 KiB");
	put_port(p);
	cr_assert(fx_events_contain(sim, "parport0 reverse overflow: 1013 bytes dropped\n"));
}

Test(sim, ppdev_modes_phases_and_flags_are_kept_per_file)
{
	unsigned int modes = 0;
	int fd, v;

	sim = fx_start1(laser_model);
	fd = open_node("/dev/parport0");
	cr_assert_eq(ioctl(fd, PPGETMODES, &modes), 0);
	cr_assert_eq(modes, PARPORT_MODE_PCSPP | PARPORT_MODE_TRISTATE | PARPORT_MODE_ECP | PARPORT_MODE_COMPAT |
				    PARPORT_MODE_SAFEININT);
	v = IEEE1284_MODE_ECP;
	cr_assert_eq(ioctl(fd, PPSETMODE, &v), 0);
	cr_assert_eq(ioctl(fd, PPGETPHASE, &v), 0);
	cr_assert_eq(v, 1 /* IEEE1284_PH_FWD_IDLE */);
	v = PP_FASTWRITE | 0x100;
	cr_assert_eq(ioctl(fd, PPSETFLAGS, &v), 0);
	cr_assert_eq(ioctl(fd, PPGETFLAGS, &v), 0);
	cr_assert_eq(v, PP_FASTWRITE, "only the user flags are kept");
	cr_assert_eq(ioctl(fd, PPCLAIM), 0);
	cr_assert_eq(ioctl(fd, PPGETMODE, &v), 0);
	cr_assert_eq(v, IEEE1284_MODE_ECP, "the file's mode becomes the port's");
	cr_assert_eq(ioctl(fd, PPRELEASE), 0);
	close(fd);
}

Test(sim, ppdev_read_in_compat_mode_negotiates_byte_or_nibble_itself)
{
	const char *models[] = {
		"[port]\nmodes=pcspp,tristate\n[device]\nid=MFG:A;\nmodes=compat,nibble,byte\nreverse-data=tri\n",
		"[port]\nmodes=pcspp\n[device]\nid=MFG:A;\nmodes=compat,nibble,byte\nreverse-data=spp\n",
		"[port]\nmodes=pcspp\n[device]\nmodes=compat\n",
		NULL
	};
	char buf[8];
	int fd;

	sim = fx_start(models);
	fd = open_node("/dev/parport0");
	cr_assert_eq(ioctl(fd, PPCLAIM), 0);
	cr_assert_eq(read(fd, buf, sizeof buf), 3);
	cr_assert(memcmp(buf, "tri", 3) == 0);
	close(fd);
	fd = open_node("/dev/parport1");
	cr_assert_eq(ioctl(fd, PPCLAIM), 0);
	cr_assert_eq(read(fd, buf, sizeof buf), 3);
	cr_assert(memcmp(buf, "spp", 3) == 0);
	close(fd);
	fd = open_node("/dev/parport2");
	cr_assert_eq(ioctl(fd, PPCLAIM), 0);
	cr_assert_eq(read(fd, buf, sizeof buf), -1, "a legacy printer cannot send");
	cr_assert_eq(errno, EIO);
	close(fd);
	cr_assert(fx_events_contain(sim, "parport0 negotiate byte accepted\n"));
	cr_assert(fx_events_contain(sim, "parport1 negotiate nibble accepted\n"));
	cr_assert(fx_events_contain(sim, "parport2 negotiate nibble no-answer\n"));
}

static char *proc_file(int port, const char *name)
{
	g_autofree char *path = g_strdup_printf("%s/proc/sys/dev/parport/parport%d/%s", sim->testbed, port, name);
	char *text = NULL;

	cr_assert(g_file_get_contents(path, &text, NULL, NULL), "%s", path);
	return text;
}

Test(sim, ppdev_getmodes_and_proc_derive_the_modes_as_parport_pc_does)
{
	const char *models[] = {
		"[port]\nmodes=pcspp,tristate,ecp\n",
		"[port]\nmodes=pcspp,tristate,epp\n",
		"[port]\nmodes=pcspp\n",
		"[port]\nmodes=pcspp,tristate,ecp\ndma=3\n",
		"[port]\nmodes=pcspp,tristate,ecp\nirq=none\ndma=3\n",
		NULL
	};
	/* SAFEININT always; ECP only with COMPAT and an interrupt line; DMA only on top of ECP. */
	static const unsigned expect[] = { 0x5b, 0x47, 0x41, 0x7b, 0x43 };
	static const char *const text[] = { "PCSPP,TRISTATE,COMPAT,ECP\n", "PCSPP,TRISTATE,EPP\n", "PCSPP\n",
					    "PCSPP,TRISTATE,COMPAT,ECP,DMA\n", "PCSPP,TRISTATE\n" };
	static const char *const base[] = { "888\t1912\n", "632\t1656\n", "956\t1980\n", "53248\t54272\n",
					    "53504\t54528\n" };
	static const char *const irq[] = { "7\n", "5\n", "7\n", "16\n", "-1\n" };
	static const char *const dma[] = { "-1\n", "-1\n", "-1\n", "3\n", "-1\n" };

	sim = fx_start(models);
	for (int i = 0; i < 5; i++) {
		g_autofree char *node = g_strdup_printf("/dev/parport%d", i);
		g_autofree char *modes_text = proc_file(i, "modes");
		g_autofree char *base_text = proc_file(i, "base-addr");
		g_autofree char *irq_text = proc_file(i, "irq");
		g_autofree char *dma_text = proc_file(i, "dma");
		unsigned int modes = 0;
		int fd = open_node(node);

		cr_assert_eq(ioctl(fd, PPGETMODES, &modes), 0, "no claim needed");
		cr_assert_eq(modes, expect[i], "%s: %#x, expected %#x", node, modes, expect[i]);
		close(fd);
		cr_assert_str_eq(modes_text, text[i], "%s", node);
		cr_assert_str_eq(base_text, base[i], "%s", node);
		cr_assert_str_eq(irq_text, irq[i], "%s", node);
		cr_assert_str_eq(dma_text, dma[i], "%s", node);
	}
}

/* With an interrupt line parport_pc writes compatibility mode through the FIFO,
 * which waits for Busy; without one, parport_ieee1284_write_compat() polls and
 * gives up at once on a printer that ran out of paper. */
Test(sim, ppdev_compat_write_into_paper_out_waits_only_on_a_fifo_port_with_an_irq)
{
	const char *models[] = {
		"[port]\nmodes=pcspp,tristate,ecp\nirq=none\n"
		"[device]\nid=MFG:A;\nmodes=compat,nibble\n[fault.paper]\nkind=paper-out\nafter-bytes=2\n",
		"[port]\nmodes=pcspp,tristate,ecp\n"
		"[device]\nid=MFG:A;\nmodes=compat,nibble\n[fault.paper]\nkind=paper-out\nafter-bytes=2\n",
		NULL
	};
	static const char *const begin[] = { "parport0 fault paper begin paper-out\n",
					     "parport1 fault paper begin paper-out\n" };
	static const ssize_t expect[] = { 2, 8 };
	struct timeval tv = { EVENTUALLY_MS / 1000 + 1, 0 };

	sim = fx_start(models);
	for (int i = 0; i < 2; i++) {
		g_autofree char *node = g_strdup_printf("/dev/parport%d", i);
		int fd = open_node(node);
		pthread_t t;
		ssize_t n;

		cr_assert_eq(ioctl(fd, PPCLAIM), 0);
		cr_assert_eq(ioctl(fd, PPSETTIME, &tv), 0);
		/* Ending paper-out is what a waiting write needs to finish with all 8. */
		t = fx_end_faults_on(sim, begin[i]);
		errno = 0;
		n = write(fd, "abcdefgh", 8);
		cr_assert_eq(n, expect[i], "%s: %zd, expected %zd", node, n, expect[i]);
		cr_assert_eq(errno, 0, "a short count, not an error");
		pthread_join(t, NULL);
		close(fd);
	}
	fx_stop(sim);  /* a close is noticed asynchronously: let the simulator finish */
	fx_assert_record(sim, "parport0-0001.prn", "ab", 2);
	fx_assert_record(sim, "parport1-0001.prn", "abcdefgh", 8);
}

Test(sim, ppdev_polled_compat_write_into_paper_out_returns_0_not_an_error)
{
	static const char model[] = "[port]\nmodes=pcspp,tristate,ecp\nirq=none\n"
				    "[device]\nid=MFG:A;\nmodes=compat,nibble\nstate=paper-out\n";
	int fd;

	sim = fx_start1(model);
	fd = open_node("/dev/parport0");
	cr_assert_eq(ioctl(fd, PPCLAIM), 0);
	errno = 0;
	cr_assert_eq(write(fd, "data", 4), 0);
	cr_assert_eq(errno, 0);
	close(fd);
}

Test(sim, ppdev_rcontrol_reads_back_the_four_control_lines)
{
	unsigned char c = 0, frob[2] = { PARPORT_CONTROL_AUTOFD, 0 };
	int fd;

	sim = fx_start1(laser_model);
	fd = open_node("/dev/parport0");
	cr_assert_eq(ioctl(fd, PPCLAIM), 0);
	cr_assert_eq(ioctl(fd, PPRCONTROL, &c), 0);
	cr_assert_eq(c, PARPORT_CONTROL_SELECT | PARPORT_CONTROL_INIT, "%#x", c);
	c = 0xce;
	cr_assert_eq(ioctl(fd, PPWCONTROL, &c), 0);
	cr_assert_eq(ioctl(fd, PPRCONTROL, &c), 0);
	cr_assert_eq(c, 0x0e, "only the four control bits: %#x", c);
	cr_assert_eq(ioctl(fd, PPFCONTROL, frob), 0);
	cr_assert_eq(ioctl(fd, PPRCONTROL, &c), 0);
	cr_assert_eq(c, 0x0c, "%#x", c);
	close(fd);
}

Test(sim, closing_without_release_frees_the_port_and_terminates)
{
	int fd, v = IEEE1284_MODE_ECP;

	sim = fx_start1(laser_model);
	fd = open_node("/dev/parport0");
	cr_assert_eq(ioctl(fd, PPCLAIM), 0);
	cr_assert_eq(ioctl(fd, PPNEGOT, &v), 0);
	close(fd);
	fd = open_node("/dev/parport0");
	cr_assert_eq(ioctl(fd, PPCLAIM), 0, "the port is free again");
	close(fd);
	fx_stop(sim);  /* a close is noticed asynchronously: let the simulator finish */
	fx_assert_events(sim, "parport0 claim pid=PID\n"
					  "parport0 negotiate ecp accepted\n"
					  "parport0 terminate\n"
					  "parport0 release pid=PID (closed)\n"
					  "parport0 claim pid=PID\n"
					  "parport0 release pid=PID (closed)\n");
}

/* ppdev has a node only for a registered port; the test bed's stand-in for
 * the others keeps clients off the real nodes and fails open() with ENXIO. */
Test(sim, nodes_of_ports_that_do_not_exist_do_not_open)
{
	struct stat st;
	int fd;

	sim = fx_start1(laser_model);
	fd = open_node("/dev/parport0");
	close(fd);
	for (int i = 1; i < 8; i++) {
		g_autofree char *node = g_strdup_printf("/dev/parport%d", i);
		g_autofree char *real = g_strdup_printf("%s/dev/parport%d", sim->testbed, i);

		cr_assert_eq(open(node, O_RDWR), -1, "%s opened", node);
		cr_assert_eq(errno, ENXIO, "%s: %s", node, strerror(errno));
		cr_assert_eq(open(node, O_RDONLY | O_NOCTTY), -1, "%s opened", node);
		cr_assert_eq(errno, ENXIO, "%s: %s", node, strerror(errno));
		cr_assert_eq(lstat(real, &st), 0, "%s is shadowed in the test bed", node);
	}
	cr_assert_lt(open("/dev/port", O_RDWR), 0, "no raw I/O through /dev/port");
}

/* ---- the record, byte for byte ---- */

Test(sim, events_log_is_exact)
{
	struct parport *p;

	sim = fx_start1(laser_model);
	p = find_port(0);
	cr_assert_eq(ieee1284_open(p, 0, NULL), E1284_OK);
	cr_assert_eq(ieee1284_claim(p), E1284_OK);
	cr_assert_eq(ieee1284_negotiate(p, M1284_ECP), E1284_OK);
	cr_assert_eq(ieee1284_ecp_write_data(p, 0, UEL "@PJL JOB NAME=\"a\"\r\n", 28), 28);
	cr_assert_eq(ieee1284_ecp_fwd_to_rev(p), E1284_OK);
	cr_assert_eq(ieee1284_ecp_rev_to_fwd(p), E1284_OK);
	ieee1284_terminate(p);
	cr_assert_eq(ieee1284_negotiate(p, M1284_EPP), E1284_REJECTED);
	ieee1284_release(p);
	ieee1284_close(p);
	fx_assert_events(sim, "parport0 claim pid=PID\n"
			 "parport0 release pid=PID\n"
			 "parport0 claim pid=PID\n"
			 "parport0 negotiate ecp accepted\n"
			 "parport0 pjl @PJL JOB NAME=\\\"a\\\"\n"
			 "parport0 direction reverse\n"
			 "parport0 direction forward\n"
			 "parport0 terminate\n"
			 "parport0 negotiate epp rejected\n"
			 "parport0 terminate\n"
			 "parport0 job parport0-0001.prn 28 bytes\n"
			 "parport0 release pid=PID\n");
}
