package io.catflap.protocol;
