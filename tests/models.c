/*
 * models.c - printer models shared by test files (see models.h)
 */
#include "config.h"

#include "models.h"

const char laserjet_model[] =
	"[port]\nmodes=pcspp,tristate,ecp\n"
	"[device]\nid=MFG:Hewlett-Packard;MDL:HP LaserJet 4;CMD:PCL,PJL;CLS:PRINTER;\n"
	"modes=compat,nibble,byte,ecp,ecprle\npjl=true\n";

const char centronics_model[] = "[port]\nmodes=pcspp\n[device]\nmodes=compat\n";

const char empty_spp_model[] = "[port]\nmodes=pcspp\n";

const char empty_bidir_model[] = "[port]\nmodes=pcspp,tristate\n";

const char bare_chain_model[] =
	"[daisy.0]\nid=MFG:ACME;MDL:Scan;CLS:SCANNER;\n[daisy.1]\nid=MFG:ACME;MDL:Laser 9;CLS:PRINTER;\n"
	"[device]\nid=MFG:Epson;MDL:LQ-570;CLS:PRINTER;\n";
