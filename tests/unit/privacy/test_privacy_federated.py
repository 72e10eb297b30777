"""Acceptance: federated logistic regression over 4 hospitals vs central training.

The hospitals hold the WDBC rows (scikit-learn's bundled copy), split evenly and skewed;
every round is securely aggregated by pairwise masking with real keys and the model is
released with Gaussian noise (epsilon 8, delta 1e-5 over all rounds).
"""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as CentralLogisticRegression

from corridor.crypto.keys import SigningKeyPair
from corridor.crypto.signing import verify_ed25519
from corridor.privacy import (
    LocalChannel,
    LocalInput,
    MaskingAggregator,
    MaskingContributor,
    RoundSpec,
    SeededRandomSource,
)
from corridor.privacy.datasets import (
    breast_cancer,
    logistic_computation,
    split_rows,
    validation_split,
)
from corridor.privacy.dp import rho_for
from corridor.privacy.federated import FederatedTrainer, accuracy, local_gradient, parse_logistic
from corridor.privacy.fixedpoint import FixedPoint


@pytest.mark.slow
@pytest.mark.parametrize("how", ["even", "skewed"])
def test_federated_regression_across_four_hospitals_is_within_two_points_of_central(how):
    train, test = validation_split(breast_cancer())
    model = parse_logistic(logistic_computation(train, rounds=40))
    parts = split_rows(train, 4, how=how, rng=np.random.default_rng(2))
    names = tuple(f"did:web:hospital-{i}.test" for i in range(4))
    data = {n: (model.design(p.features), p.labels) for n, p in zip(names, parts, strict=True)}
    keys = {n: SigningKeyPair.generate() for n in names}
    codec = FixedPoint(max_abs=model.max_abs(), parties=4, fraction_bits=24)
    trainer = FederatedTrainer(model, rho_total=rho_for(8.0, 1e-5))

    def verify(who, message, signature):
        verify_ed25519(keys[who].public, signature, message)

    for round_number in range(model.rounds):
        point = trainer.query_point()
        spec = RoundSpec("job-lr-acceptance", round_number, names, 3, model.length)

        def provide(message, name, point=point):
            del message
            design, labels = data[name]
            return LocalInput(codec.encode(local_gradient(point, design, labels, clip=model.clip)))

        contributors = {
            n: MaskingContributor(
                spec,
                n,
                lambda m, n=n: provide(m, n),
                SeededRandomSource(f"{n}{round_number}"),
                keys[n].sign,
                verify,
            )
            for n in names
        }
        outcome = MaskingAggregator().aggregate(
            spec=spec, channel=LocalChannel(contributors), opening={}
        )
        trainer.absorb(codec.decode(outcome.total))

    test_design = model.design(test.features)
    federated = accuracy(trainer.released_weights(), test_design, test.labels)
    central = CentralLogisticRegression(max_iter=5000).fit(
        model.design(train.features)[:, :-1], train.labels
    )
    central_accuracy = float(central.score(test_design[:, :-1], test.labels))
    assert central_accuracy > 0.9
    assert federated >= central_accuracy - 0.02
