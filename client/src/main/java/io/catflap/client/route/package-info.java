/** Routing of tables to servers in kittenhouse's config syntax, weighted choice and health checks. */
package io.catflap.client.route;
