// E2E tests wait on a real cluster converging (and the lifecycle test starts a second one).
jest.setTimeout(180_000);
