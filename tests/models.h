/*
 * models.h - printer models (parclass-sim model texts) that more than one
 * test file starts the simulator with
 *
 * A model one test file alone uses stays in that file. Two models that
 * differ in any byte are two models with two names: a test states what it
 * relies on by the model it names.
 */
#pragma once

/* An HP LaserJet 4 on an ECP port: every mode up to ECP with RLE, PJL. */
extern const char laserjet_model[];
/* An old printer on an SPP port: compatibility mode only, no device ID. */
extern const char centronics_model[];
/* An SPP port with nothing attached. */
extern const char empty_spp_model[];
/* A bidirectional (PS/2) port with nothing attached. */
extern const char empty_bidir_model[];
/* A daisy chain on the default port: a scanner, a laser printer and an
 * Epson at the end, each with the simulator's default modes. */
extern const char bare_chain_model[];
