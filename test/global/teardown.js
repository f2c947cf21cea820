module.exports = require('./tmpdir').teardown;
