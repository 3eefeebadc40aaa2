#!/usr/bin/perl
# Writes a small GeoIP2-Country-style MaxMind DB for the tests, with Debian's
# libmaxmind-db-writer-perl (the writer MaxMind published).
# Usage: write-country-mmdb.pl [-4] OUT.mmdb [NETWORK COUNTRY CONTINENT]...
#   -4: an IPv4-only database (default: IPv6, IPv4 networks also found as ::ffff:a.b.c.d)
#   COUNTRY or CONTINENT '-': that field is left out (real databases have continent-only records)
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my $ip_version = 6;
if (@ARGV && $ARGV[0] eq '-4') { shift @ARGV; $ip_version = 4; }
my $out = shift @ARGV or die "usage: $0 [-4] OUT.mmdb [NETWORK COUNTRY CONTINENT]...\n";
@ARGV % 3 == 0 or die "$0: networks come as NETWORK COUNTRY CONTINENT triples\n";

my %types = (country => 'map', continent => 'map', iso_code => 'utf8_string', code => 'utf8_string');
my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version               => $ip_version,
    record_size              => 24,
    database_type            => 'GeoIP2-Country',
    languages                => ['en'],
    description              => { en => 're6st test country database' },
    alias_ipv6_to_ipv4       => $ip_version == 6,  # IPv4 networks are inserted as such
    remove_reserved_networks => 0,                 # the tests use 198.18.0.0/15 and 2001:db8::/32
    map_key_type_callback    => sub { $types{ $_[0] } },
);
while (my ($net, $country, $continent) = splice @ARGV, 0, 3) {
    my %record;
    $record{country}   = { iso_code => $country } if $country ne '-';
    $record{continent} = { code => $continent }   if $continent ne '-';
    $tree->insert_network($net, \%record);
}
open my $fh, '>:raw', $out or die "$0: $out: $!\n";
$tree->write_tree($fh);
close $fh or die "$0: $out: $!\n";
