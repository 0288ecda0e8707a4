/*
 * test-model.c - model files, raw device IDs and the kernel's cached IDs
 */
#include "config.h"

#include <criterion/criterion.h>
#include <linux/parport.h>
#include <string.h>

#include "model.h"

static struct sim_port_model *load(const char *text)
{
	g_autoptr(GError) error = NULL;
	struct sim_port_model *m = sim_model_load_data(text, "test", &error);

	cr_assert(m, "model rejected: %s", error ? error->message : "?");
	return m;
}

static char *load_error(const char *text)
{
	GError *error = NULL;
	struct sim_port_model *m = sim_model_load_data(text, "test", &error);
	char *msg;

	cr_assert_null(m, "model accepted");
	cr_assert(error);
	msg = g_strdup(error->message);
	g_error_free(error);
	return msg;
}

static void assert_bytes(GBytes *b, const char *expect, size_t n)
{
	gsize len;
	const char *data = g_bytes_get_data(b, &len);

	cr_assert_eq(len, n, "length %zu, expected %zu", (size_t)len, n);
	cr_assert(memcmp(data, expect, n) == 0);
}

Test(model, design_example_with_trailing_comments_loads)
{
	struct sim_port_model *m = load(
		"[port]\n"
		"modes=pcspp,tristate,ecp          # what PPGETMODES reports\n"
		"[device]                          # the end-of-chain device\n"
		"id=MFG:ACME;MDL:Laser 9;CMD:PJL,PCL,POSTSCRIPT;CLS:PRINTER;\n"
		"modes=compat,nibble,byte,ecp      # 1284 modes it accepts\n"
		"pjl=true                          # answer PJL\n");

	cr_assert_eq(m->hw_modes, PARPORT_MODE_PCSPP | PARPORT_MODE_TRISTATE | PARPORT_MODE_ECP);
	cr_assert_not_null(m->end);
	cr_assert_eq(m->end->modes, SIM_MODE_COMPAT | SIM_MODE_NIBBLE | SIM_MODE_BYTE | SIM_MODE_ECP);
	cr_assert(m->end->pjl);
	cr_assert_str_eq(m->end->pjl_info_id, "Laser 9");
	assert_bytes(m->end->raw_id, "\x00\x3a" "MFG:ACME;MDL:Laser 9;CMD:PJL,PCL,POSTSCRIPT;CLS:PRINTER;", 58);
	cr_assert_eq(m->n_chain, 0);
	sim_model_free(m);
}

Test(model, port_interrupt_line_and_dma_channel)
{
	struct sim_port_model *dflt = load("[port]\nmodes=pcspp\n");
	struct sim_port_model *set = load("[port]\nirq=5\ndma=3\n");
	struct sim_port_model *none = load("[port]\nirq=none\ndma=none\n");
	g_autofree char *e1 = load_error("[port]\nirq=16x\n");
	g_autofree char *e2 = load_error("[port]\ndma=8\n");
	g_autofree char *e3 = load_error("[port]\nirq=-2\n");

	cr_assert_eq(dflt->irq, SIM_PORT_DEFAULT, "the port's number chooses");
	cr_assert_eq(dflt->dma, -1);
	cr_assert_eq(set->irq, 5);
	cr_assert_eq(set->dma, 3);
	cr_assert_eq(none->irq, -1);
	cr_assert_eq(none->dma, -1);
	cr_assert_str_eq(e1, "test: [port] irq: \"16x\" is not none or a number from 0 to 255");
	cr_assert_str_eq(e2, "test: [port] dma: \"8\" is not none or a number from 0 to 7");
	cr_assert_str_eq(e3, "test: [port] irq: \"-2\" is not none or a number from 0 to 255");
	sim_model_free(dflt);
	sim_model_free(set);
	sim_model_free(none);
}

Test(model, default_model_is_valid)
{
	struct sim_port_model *m = load(sim_default_model);

	cr_assert_not_null(m->end);
	cr_assert(m->end->pjl);
	sim_model_free(m);
}

Test(model, empty_port_has_no_device)
{
	struct sim_port_model *m = load("[port]\nmodes=pcspp\n");

	cr_assert_null(m->end);
	cr_assert_eq(m->hw_modes, PARPORT_MODE_PCSPP);
	sim_model_free(m);
}

Test(model, daisy_chain_positions_are_kept)
{
	struct sim_port_model *m = load("[daisy.0]\nid=MFG:A;MDL:0;\n[daisy.1]\nid=MFG:A;MDL:1;\n[device]\nmodes=compat\n");

	cr_assert_eq(m->n_chain, 2);
	cr_assert_str_eq(m->chain[1]->id_text, "MFG:A;MDL:1;");
	cr_assert(m->chain_assigned);
	cr_assert_eq(m->end->modes, SIM_MODE_COMPAT);
	sim_model_free(m);
}

Test(model, chain_gap_is_rejected)
{
	g_autofree char *e = load_error("[daisy.1]\nid=MFG:A;\n");

	cr_assert(strstr(e, "[daisy.1] without [daisy.0]"), "%s", e);
}

Test(model, unknown_key_is_rejected_with_its_name)
{
	g_autofree char *e = load_error("[device]\nmodse=compat\n");

	cr_assert(strstr(e, "unknown key \"modse\""), "%s", e);
}

Test(model, unknown_group_is_rejected)
{
	g_autofree char *e = load_error("[printer]\nid=x\n");

	cr_assert(strstr(e, "unknown group [printer]"), "%s", e);
}

Test(model, unknown_mode_is_rejected)
{
	g_autofree char *e = load_error("[device]\nmodes=compat,turbo\n");

	cr_assert(strstr(e, "unknown mode \"turbo\""), "%s", e);
}

Test(model, ieee1284_device_without_nibble_is_rejected)
{
	g_autofree char *e = load_error("[device]\nmodes=compat,ecp\n");

	cr_assert(strstr(e, "nibble"), "%s", e);
}

Test(model, refuse_removes_modes)
{
	struct sim_port_model *m = load("[device]\nmodes=compat,nibble,byte,ecp\nrefuse=ecp,byte\n");

	cr_assert_eq(m->end->modes, SIM_MODE_COMPAT | SIM_MODE_NIBBLE);
	sim_model_free(m);
}

Test(model, rates_and_delays_are_read)
{
	struct sim_port_model *m = load("[device]\nmodes=compat,nibble,ecp\necp-rate=2000000\ncompat-rate=150000\n"
					"negotiation-delay-ms=50\n");

	cr_assert_eq(m->end->rate[SIM_RATE_ECP], 2000000);
	cr_assert_eq(m->end->rate[SIM_RATE_COMPAT], 150000);
	cr_assert_eq(m->end->rate[SIM_RATE_NIBBLE], 0);
	cr_assert_eq(m->end->negotiation_delay_ms, 50);
	sim_model_free(m);
}

Test(model, bad_number_is_rejected)
{
	g_autofree char *e = load_error("[device]\necp-rate=fast\n");

	cr_assert(strstr(e, "ecp-rate"), "%s", e);
}

Test(model, faults_are_parsed)
{
	struct sim_port_model *m = load("[daisy.0]\nid=MFG:A;\n[device]\nid=MFG:B;\n"
					"[fault.paper]\nkind=paper-out\nafter-bytes=100\nduration-ms=250\n"
					"[fault.door]\ndevice=daisy.0\nkind=door-open\non-signal=true\ncode=40021\n"
					"display=CLOSE THE DOOR\n");
	struct sim_fault_model *f0 = g_ptr_array_index(m->faults, 0), *f1 = g_ptr_array_index(m->faults, 1);

	cr_assert_eq(m->faults->len, 2);
	cr_assert_str_eq(f0->name, "paper");
	cr_assert_eq(f0->target, -1);
	cr_assert_eq(f0->kind, SIM_COND_PAPER_OUT);
	cr_assert_eq(f0->after_bytes, 100);
	cr_assert_eq(f0->after_ms, -1);
	cr_assert_eq(f0->duration_ms, 250);
	cr_assert_eq(f1->target, 0);
	cr_assert_eq(f1->kind, SIM_COND_DOOR_OPEN);
	cr_assert(f1->on_signal);
	cr_assert_eq(f1->duration_ms, -1);
	cr_assert_str_eq(f1->display, "CLOSE THE DOOR");
	sim_model_free(m);
}

Test(model, link_faults_are_parsed)
{
	struct sim_port_model *m = load("[device]\nmodes=compat,nibble,ecp\n"
					"[fault.noecp]\nkind=refuse\nrefuse=ecp\nafter-bytes=10\n"
					"[fault.slow]\nkind=late\nnegotiation-delay-ms=100\non-signal=true\n");
	struct sim_fault_model *f0 = g_ptr_array_index(m->faults, 0), *f1 = g_ptr_array_index(m->faults, 1);

	cr_assert_eq(f0->kind, SIM_FAULT_REFUSE);
	cr_assert_eq(f0->refuse, SIM_MODE_ECP);
	cr_assert_eq(f0->after_bytes, 10);
	cr_assert_eq(f1->kind, SIM_FAULT_LATE);
	cr_assert_eq(f1->negotiation_delay_ms, 100);
	cr_assert(f1->on_signal);
	/* The device keeps its modes: the fault takes them away only while it lasts. */
	cr_assert_eq(m->end->modes, SIM_MODE_COMPAT | SIM_MODE_NIBBLE | SIM_MODE_ECP);
	sim_model_free(m);
}

Test(model, link_fault_keys_go_with_their_kinds)
{
	g_autofree char *e1 = load_error("[device]\n[fault.x]\nkind=refuse\non-signal=true\n");
	g_autofree char *e2 = load_error("[device]\n[fault.x]\nkind=jam\nrefuse=ecp\non-signal=true\n");
	g_autofree char *e3 = load_error("[device]\n[fault.x]\nkind=late\non-signal=true\n");
	g_autofree char *e4 = load_error("[device]\n[fault.x]\nkind=refuse\nrefuse=compat\non-signal=true\n");
	g_autofree char *e5 = load_error("[device]\n[fault.x]\nkind=refuse\nrefuse=fast\non-signal=true\n");
	g_autofree char *e6 = load_error("[device]\nstate=late\n");

	cr_assert(strstr(e1, "kind=refuse needs refuse="), "%s", e1);
	cr_assert(strstr(e2, "kind=refuse needs refuse="), "%s", e2);
	cr_assert(strstr(e3, "kind=late needs negotiation-delay-ms="), "%s", e3);
	cr_assert(strstr(e4, "compatibility mode cannot be refused"), "%s", e4);
	cr_assert(strstr(e5, "unknown mode \"fast\""), "%s", e5);
	cr_assert(strstr(e6, "unknown state \"late\""), "%s", e6);
}

Test(model, a_port_absent_fault_starts_at_once_and_needs_no_device)
{
	struct sim_port_model *m = load("[fault.plug]\nkind=port-absent\n");
	const struct sim_fault_model *f = g_ptr_array_index(m->faults, 0);
	g_autofree char *e1 = load_error("[device]\n[fault.x]\nkind=port-absent\non-signal=true\n");
	g_autofree char *e2 = load_error("[device]\n[fault.x]\nkind=port-absent\nafter-bytes=5\n");
	g_autofree char *e3 = load_error("[device]\n[fault.x]\nkind=port-absent\nafter-ms=5\n");

	cr_assert_eq(f->kind, SIM_FAULT_PORT_ABSENT);
	cr_assert_eq(f->duration_ms, -1);
	cr_assert_str_eq(sim_condition_name(f->kind), "port-absent");
	sim_model_free(m);
	cr_assert(strstr(e1, "kind=port-absent starts at once"), "%s", e1);
	cr_assert(strstr(e2, "kind=port-absent starts at once"), "%s", e2);
	cr_assert(strstr(e3, "kind=port-absent starts at once"), "%s", e3);
}

Test(model, fault_without_trigger_is_rejected)
{
	g_autofree char *e = load_error("[device]\n[fault.x]\nkind=jam\n");

	cr_assert(strstr(e, "after-bytes, after-ms or on-signal"), "%s", e);
}

Test(model, fault_on_missing_device_is_rejected)
{
	g_autofree char *e = load_error("[device]\n[fault.x]\ndevice=daisy.2\nkind=jam\nafter-ms=1\n");

	cr_assert(strstr(e, "not in the model"), "%s", e);
}

Test(model, id_escapes_give_control_characters)
{
	struct sim_port_model *m = load("[device]\nid=MFG:A\\x01B;MDL:C\\tD;\\043\n");

	assert_bytes(m->end->raw_id, "\x00\x13MFG:A\x01" "B;MDL:C\tD;#", 19);
	sim_model_free(m);
}

Test(model, id_escapes_give_any_byte)
{
	/* What a hostile device may send: quotes, backslashes, line breaks, bytes that are not UTF-8. */
	struct sim_port_model *m = load("[device]\nid=MFG:\"A\\\\\";MDL:B\\r\\nC;DES:\\xe9\\xff\\x00;\n");

	assert_bytes(m->end->raw_id, "\x00\x1c" "MFG:\"A\\\";MDL:B\r\nC;DES:\xe9\xff\x00;", 28);
	sim_model_free(m);
}

Test(model, id_length_forms)
{
	g_autoptr(GError) e = NULL;
	g_autoptr(GBytes) be = sim_build_raw_id("MFG:A;", 6, "big-endian", &e);
	g_autoptr(GBytes) le = sim_build_raw_id("MFG:A;", 6, "little-endian", &e);
	g_autoptr(GBytes) ex = sim_build_raw_id("MFG:A;", 6, "exclusive", &e);
	g_autoptr(GBytes) zero = sim_build_raw_id("MFG:A;", 6, "zero", &e);
	g_autoptr(GBytes) big = sim_build_raw_id("MFG:A;", 6, "0x1000", &e);

	assert_bytes(be, "\x00\x08MFG:A;", 8);
	assert_bytes(le, "\x08\x00MFG:A;", 8);
	assert_bytes(ex, "\x00\x06MFG:A;", 8);
	assert_bytes(zero, "\x00\x00MFG:A;", 8);
	assert_bytes(big, "\x10\x00MFG:A;", 8);
	cr_assert_null(sim_build_raw_id("x", 1, "0x10000", &e), "a length must fit in two bytes");
}

Test(model, id_hex_gives_raw_bytes)
{
	struct sim_port_model *m = load("[device]\nid-hex=00 07 4d 46 47 3a 3b\n");

	assert_bytes(m->end->raw_id, "\x00\x07MFG:;", 7);
	cr_assert_str_eq(m->end->id_text, "MFG:;");
	sim_model_free(m);
}

Test(model, an_empty_id_is_an_empty_text_with_its_length)
{
	/* Found by tests/fuzz/fuzz-model: the text was NULL beside a raw ID. */
	struct sim_port_model *m = load("[device]\nid=\n");

	assert_bytes(m->end->raw_id, "\x00\x02", 2);
	cr_assert_str_eq(m->end->id_text, "");
	cr_assert_str_eq(m->end->pjl_info_id, "parclass-sim");
	sim_model_free(m);
}

/* The kernel's cache of the ID, as /proc/sys/dev/parport/parportN/autoprobe shows it. */
static char *autoprobe(const char *raw, size_t n)
{
	g_autoptr(GBytes) b = g_bytes_new(raw, n);

	return sim_autoprobe_text(b);
}

Test(model, autoprobe_has_the_kernel_format)
{
	const char raw[] = "\x00\x4d" "mfg:Hewlett-Packard;MDL:HP LaserJet 4  ;CMD:PCL,PJL;CLS:PRINTER;DES:HP LJ4;";
	g_autofree char *t = autoprobe(raw, sizeof raw - 1);

	cr_assert_str_eq(t, "CLASS:PRINTER;\nMODEL:HP LaserJet 4;\nMANUFACTURER:Hewlett-Packard;\n"
			    "DESCRIPTION:HP LJ4;\nCOMMAND SET:PCL,PJL;\n");
}

Test(model, autoprobe_reads_little_endian_and_exclusive_lengths)
{
	const char le[] = "\x0e\x00" "MFG:A;MDL:B;";
	const char ex[] = "\x00\x0c" "MFG:A;MDL:B;";
	g_autofree char *t1 = autoprobe(le, sizeof le - 1);
	g_autofree char *t2 = autoprobe(ex, sizeof ex - 1);

	cr_assert_str_eq(t1, "MODEL:B;\nMANUFACTURER:A;\n");
	cr_assert_str_eq(t2, "MODEL:B;\nMANUFACTURER:A;\n");
}

Test(model, autoprobe_gives_up_on_zero_and_huge_lengths)
{
	g_autofree char *t1 = autoprobe("\x00\x00MFG:A;", 8);
	g_autofree char *t2 = autoprobe("\x10\x10MFG:A;", 8);
	g_autofree char *t3 = sim_autoprobe_text(NULL);

	cr_assert_str_eq(t1, "");
	cr_assert_str_eq(t2, "");
	cr_assert_str_eq(t3, "");
}

Test(model, condition_names_round_trip)
{
	for (int c = SIM_COND_READY; c <= SIM_FAULT_KIND_LAST; c++)
		cr_assert_eq(sim_condition_from_name(sim_condition_name(c)), c);
	cr_assert_str_eq(sim_condition_name(SIM_FAULT_REFUSE), "refuse");
	cr_assert_str_eq(sim_condition_name(SIM_FAULT_LATE), "late");
	cr_assert_eq(sim_condition_from_name("melting"), -1);
}
