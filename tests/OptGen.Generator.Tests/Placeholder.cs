namespace OptGen.Generator.Tests;
