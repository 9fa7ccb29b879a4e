#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Print one interface of D-Bus introspection XML (stdin) in a canonical line
# form: methods with their args, signals, properties with type and access.
# Annotations are dropped: sd-bus adds its own, the file documents ours.
import sys
import xml.etree.ElementTree as ET

want = sys.argv[1]
root = ET.fromstring(sys.stdin.read())
for iface in root.iter("interface"):
    if iface.get("name") != want:
        continue
    for el in iface:
        if el.tag in ("method", "signal"):
            args = " ".join("%s:%s:%s" % (a.get("direction", "out" if el.tag == "signal" else "in"),
                                          a.get("name", ""), a.get("type"))
                            for a in el.findall("arg"))
            print("%s %s(%s)" % (el.tag, el.get("name"), args))
        elif el.tag == "property":
            print("property %s %s %s" % (el.get("name"), el.get("type"), el.get("access")))
    sys.exit(0)
sys.exit("interface %s not found" % want)
