/** The local API apps talk to: kittenhouse's HTTP interface and UDP packets on one port. */
package io.catflap.client.api;
