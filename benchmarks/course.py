"""The course-style gradient check, as the deeplearning.ai assignment writes it (gradient_check_n).

Every parameter is flattened into one vector theta; for each coordinate i the whole vector is
copied, theta_i is moved by +-epsilon, the dictionary is rebuilt and the forward pass runs:
two forward passes per parameter, epsilon = 1e-7, one relative difference for the whole model.
"""
import numpy as np

EPSILON = 1e-7  # the assignment's step
THRESHOLD = 2e-7  # the assignment: above this, "there is a mistake in the backward propagation"


def dictionary_to_vector(parameters, keys):
    """All parameters as one column vector, in the order of `keys`."""
    return np.concatenate([parameters[k].reshape(-1, 1) for k in keys], axis=0)


def vector_to_dictionary(theta, shapes):
    """The inverse of dictionary_to_vector."""
    parameters, start = {}, 0
    for key, shape in shapes.items():
        size = int(np.prod(shape))
        parameters[key] = theta[start:start + size].reshape(shape)
        start += size
    return parameters


def gradients_to_vector(gradients, keys):
    return np.concatenate([gradients["d" + k].reshape(-1, 1) for k in keys], axis=0)


def gradient_check_n(parameters, gradients, X, Y, forward_propagation_n, epsilon=EPSILON, coordinates=None):
    """(difference, gradapprox) over every coordinate, or over the first `coordinates` of them."""
    keys = list(parameters)
    shapes = {k: parameters[k].shape for k in keys}
    parameters_values = dictionary_to_vector(parameters, keys)
    grad = gradients_to_vector(gradients, keys)
    num_parameters = parameters_values.shape[0] if coordinates is None else coordinates
    J_plus = np.zeros((num_parameters, 1))
    J_minus = np.zeros((num_parameters, 1))
    gradapprox = np.zeros((num_parameters, 1))
    for i in range(num_parameters):
        thetaplus = np.copy(parameters_values)
        thetaplus[i][0] = thetaplus[i][0] + epsilon
        J_plus[i], _ = forward_propagation_n(X, Y, vector_to_dictionary(thetaplus, shapes))
        thetaminus = np.copy(parameters_values)
        thetaminus[i][0] = thetaminus[i][0] - epsilon
        J_minus[i], _ = forward_propagation_n(X, Y, vector_to_dictionary(thetaminus, shapes))
        gradapprox[i] = (J_plus[i] - J_minus[i]) / (2 * epsilon)
    grad = grad[:num_parameters]
    numerator = np.linalg.norm(grad - gradapprox)
    denominator = np.linalg.norm(grad) + np.linalg.norm(gradapprox)
    return numerator / denominator, gradapprox
