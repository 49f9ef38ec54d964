package checks

// Small builders so each test reads as a timeline.

func put(client int, key, value string, call, ret int64, covers ...string) Op {
	return Op{Client: client, Kind: Put, Key: key, Value: value, Covers: covers, Call: call, Return: ret, Outcome: Ok}
}

func del(client int, key, tombstone string, call, ret int64, covers ...string) Op {
	return Op{Client: client, Kind: Delete, Key: key, Value: tombstone, Covers: covers, Call: call, Return: ret, Outcome: Ok}
}

func get(client int, key string, call, ret int64, values ...string) Op {
	return Op{Client: client, Kind: Get, Key: key, Values: values, Call: call, Return: ret, Outcome: Ok}
}

func with(op Op, o Outcome) Op {
	op.Outcome = o
	return op
}

func replica(node int, values ...string) ReplicaState {
	if values == nil {
		values = []string{}
	}
	return ReplicaState{Node: node, Values: values}
}

// final is a key held identically by owners 1, 2 and 3.
func final(key string, values ...string) KeyState {
	return KeyState{Key: key, Owners: []int{1, 2, 3}, Replicas: []ReplicaState{replica(1, values...), replica(2, values...), replica(3, values...)}}
}

func history(ops []Op, finals ...KeyState) *History {
	return &History{Seed: 7, Command: "dynamo replay --seed 7", Ops: ops, Final: finals,
		Expect: Expect{Linearizable: true, NoLostWrites: true, Converged: true}}
}
