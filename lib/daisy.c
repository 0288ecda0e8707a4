/*
 * daisy.c - IEEE 1284.3 daisy chain: CPP commands and address assignment
 *
 * Done in software over the line-level operations, in the order and with
 * the checks of the Linux kernel's drivers/parport/daisy.c (cpp_daisy(),
 * assign_addrs()), which the IEEE 1284.3 devices in the field answer.
 */
#include "config.h"

#include "parclass-private.h"

#define CPP_DESELECT_ALL 0x30
#define CPP_SELECT       0xe0  /* + address: compatibility, nibble, byte */
#define CPP_SELECT_ECP   0xd0  /* + address: ECP */

/* Pulse-free data writes: AA 55 00 FF, then 87. Returns false when no chain answers. */
static bool cpp_preamble(const struct pc_port_ops *ops, struct pc_hw *hw)
{
	static const uint8_t seq[] = { 0xaa, 0x55, 0x00, 0xff };
	const uint8_t mask = PC_ST_BUSY | PC_ST_PAPEROUT | PC_ST_SELECT | PC_ST_ERROR;
	uint8_t s;

	ops->data_dir(hw, false);
	for (size_t i = 0; i < sizeof seq; i++)
		ops->write_data(hw, seq[i]);
	if (ops->read_status(hw, &s) < 0 || (s & mask) != mask)
		return false;
	ops->write_data(hw, 0x87);
	if (ops->read_status(hw, &s) < 0 || (s & mask) != (PC_ST_SELECT | PC_ST_ERROR))
		return false;
	ops->write_data(hw, 0x78);
	return true;
}

int pc_cpp_command(const struct pc_port_ops *ops, struct pc_hw *hw, uint8_t cmd)
{
	uint8_t s = 0;

	if (!cpp_preamble(ops, hw)) {
		ops->write_data(hw, 0xff);
		return -ENXIO;
	}
	ops->write_data(hw, cmd);
	ops->frob_control(hw, PC_CTL_STROBE, PC_CTL_STROBE);
	ops->read_status(hw, &s);
	ops->frob_control(hw, PC_CTL_STROBE, 0);
	ops->write_data(hw, 0xff);
	return s;
}

int pc_cpp_assign(const struct pc_port_ops *ops, struct pc_hw *hw)
{
	uint8_t s = 0;
	int n = 0;

	if (!cpp_preamble(ops, hw)) {
		ops->write_data(hw, 0xff);
		return 0;
	}
	ops->read_status(hw, &s);
	/* While a device shows PError and Select, give it the next address;
	 * one that shows Busy high is the last in the chain. */
	while ((s & (PC_ST_PAPEROUT | PC_ST_SELECT)) == (PC_ST_PAPEROUT | PC_ST_SELECT) && n < PC_MAX_CHAIN) {
		ops->write_data(hw, (uint8_t)n);
		ops->frob_control(hw, PC_CTL_STROBE, PC_CTL_STROBE);
		ops->frob_control(hw, PC_CTL_STROBE, 0);
		n++;
		if (!(s & PC_ST_BUSY))
			break;
		ops->read_status(hw, &s);
	}
	ops->write_data(hw, 0xff);
	return n;
}

int pc_cpp_select(const struct pc_port_ops *ops, struct pc_hw *hw, int address, bool ecp)
{
	int s;

	if (address == PARCLASS_ADDRESS_END)
		s = pc_cpp_command(ops, hw, CPP_DESELECT_ALL);
	else
		s = pc_cpp_command(ops, hw, (uint8_t)((ecp ? CPP_SELECT_ECP : CPP_SELECT) + address));
	if (s < 0)
		return s;
	/* nFault high while the command strobe was low: the command worked. */
	return (s & PC_ST_ERROR) ? 0 : -ENXIO;
}
