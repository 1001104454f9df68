package io.catflap.loadtest;
