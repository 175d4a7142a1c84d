// Validates an OpenAPI document (a file, JSON) with @apidevtools/swagger-parser, which checks it
// against the OpenAPI 3.0 JSON schema and resolves every $ref. Run by tests/http/test_openapi.py.
// Usage: node openapi_validate.js DOC.json   (NODE_PATH: where the package is installed)
'use strict';
const SwaggerParser = require('@apidevtools/swagger-parser');
const fs = require('fs');

const doc = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
SwaggerParser.validate(doc)
  .then((api) => { console.log('valid: ' + Object.keys(api.paths).length + ' paths'); })
  .catch((err) => { console.error('invalid: ' + err.message); process.exit(1); });
