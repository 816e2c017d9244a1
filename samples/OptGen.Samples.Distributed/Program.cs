// Data-parallel training of the digits perceptron with the optimizer state sharded over MPI ranks (ZeRO-1), and a
// measurement of where a sharded step's time goes at scale. See README.md in this folder, or run with --help.

using OptGen.Samples.Distributed;

return DistributedCommand.Invoke(args);
