# SPDX-License-Identifier: GPL-2.0
# Which Debian 12 kernels the project builds and tests for. Sourced.

# The release of Debian 12's default kernel (linux-image-amd64, 6.1).
kver_61() {
	ls /lib/modules 2>/dev/null | grep -E '^6\.1\.[0-9]+-[0-9]+-amd64$' |
		sort -V | tail -1
}

# The newest Debian 12 6.12 kernel (security suite) that is installed.
kver_612() {
	ls /lib/modules 2>/dev/null | grep -E '^6\.12\.[0-9]+\+deb12-amd64$' |
		sort -V | tail -1
}
