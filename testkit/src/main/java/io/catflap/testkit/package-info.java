package io.catflap.testkit;
