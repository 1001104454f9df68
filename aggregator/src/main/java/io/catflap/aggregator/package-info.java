package io.catflap.aggregator;
