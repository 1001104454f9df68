/** The admin address: Prometheus metrics, status JSON, health. */
package io.catflap.client.admin;
