package io.catflap.client;
