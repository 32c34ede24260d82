/*
 * config/names.h - PIX literal tables: port names, ICMP type names, IP
 * protocol names, syslog level names.
 *
 * Lookups are case-insensitive.  The reverse lookups give the spelling the
 * canonical printer uses (the PIX `write terminal` spelling).
 */
#ifndef PH_CONFIG_NAMES_H
#define PH_CONFIG_NAMES_H

#include <stddef.h>
#include <stdint.h>

#define PH_NAMES_TCP 1
#define PH_NAMES_UDP 2

/** Port number of a PIX port literal ("www" -> 80), -1 if unknown. */
int ph_names_port(const char *s);
/**
 * Literal to print for a port under protocol proto (6, 17, or anything
 * else for "valid for both"); NULL when PIX has no literal for it.
 */
const char *ph_names_port_str(uint16_t port, int proto);
/** ICMP type of a literal ("echo" -> 8), -1 if unknown. */
int ph_names_icmp(const char *s);
/** Literal of an ICMP type, NULL if none. */
const char *ph_names_icmp_str(int type);
/**
 * IP protocol of a literal ("gre" -> 47, "ip" -> -1 = any); returns -2
 * if unknown.
 */
int ph_names_proto(const char *s);
/** Literal of a protocol number (-1 -> "ip"), NULL if none. */
const char *ph_names_proto_str(int proto);
/** Syslog level of a name ("debugging" -> 7), -1 if unknown. */
int ph_names_level(const char *s);
/** Name of a syslog level 0..7, NULL otherwise. */
const char *ph_names_level_str(int lvl);

/* Table sizes, for tests. */
size_t ph_names_n_ports(void);
size_t ph_names_n_icmp(void);

#endif /* PH_CONFIG_NAMES_H */
