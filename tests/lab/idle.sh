#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Init of a Linux target VM in the lab: announce, then idle.
echo "kvmmem-target: up, $(uname -r)" > /dev/console
exec sleep 3600
