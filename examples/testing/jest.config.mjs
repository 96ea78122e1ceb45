// jest runs test/*.jest.test.mjs as native ES modules (node --experimental-vm-modules); no transform.
export default { testMatch: ['<rootDir>/test/**/*.jest.test.mjs'], transform: {}, testEnvironment: 'node' };
