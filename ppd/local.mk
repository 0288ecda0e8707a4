# ppd/local.mk - the PPD files for the parclass filters, and their test
#
# Included from the top-level Makefile.am, anywhere: it appends to no
# variable of the top level, which lists $(ppd_tests) in TESTS and
# $(ppd_dist) in EXTRA_DIST.

# cups-driverd lists the PPDs under /usr/share/ppd and /usr/local/share/ppd
# (lpinfo -m), so $(datadir)/ppd/parclass with either usual prefix.
parclassppddir = $(datadir)/ppd/parclass
dist_parclassppd_DATA = \
	ppd/parclass-pjl-ps.ppd \
	ppd/parclass-pjl-pcl.ppd

# cupstestppd and the facts the filters rely on (a TAP script, run with
# $(SH_LOG_COMPILER) through the TAP driver, like tests/test-cups.sh).
ppd_tests = tests/test-ppd.sh
ppd_dist = $(ppd_tests) ppd/local.mk
