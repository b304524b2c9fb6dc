// The large bundle of benchmarks/bundle-scan.mjs: the bundle fixture app and the heaviest
// libraries of the devDependencies (~10 MB bundled).
import '../../fixtures/bundle/app.mjs';
import '@dapr/dapr';
import '@nestjs/core';
import '@anthropic-ai/sdk';
import 'mysql2';
import 'amqplib';
import 'redis';
import 'axios';
