/*
 * process.h - the name of another process, as /proc gives it
 *
 * Internal (common/ is not installed): the backend, parclassd and
 * parclassctl all name the process that holds a port. A process names
 * itself as it likes, so each caller makes the text safe for where it goes
 * (printable ASCII for cupsd, valid UTF-8 for D-Bus and JSON).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * The name the kernel keeps for @pid (/proc/PID/comm, at most 15 bytes),
 * without the newline the kernel adds, in @buf of @len bytes (at least 2).
 * @return true; false, with "?" in @buf, when there is no such process or
 * its name cannot be read.
 */
bool process_name(pid_t pid, char *buf, size_t len);
